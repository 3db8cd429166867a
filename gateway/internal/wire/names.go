package wire

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// linearNames is how many member names an object holds before nameSet
// switches from a linear scan to a map (hostile objects with 100,000 keys
// must not cost 10^10 comparisons).
const linearNames = 16

// nameSet holds the member names of one object, exactly and case-folded.
type nameSet struct {
	exact  [][]byte
	folded [][]byte
	exactM map[string]struct{}
	foldM  map[string]struct{}
}

// addExact adds name and reports whether it was already present. A name
// that is a sub-slice of the body is kept as such (escaped names are
// fresh copies).
func (s *nameSet) addExact(name []byte, _ bool) bool {
	return add(&s.exact, &s.exactM, name)
}

// addFolded adds the case-folded name and reports whether an equal one
// (under Unicode simple case folding, as strings.EqualFold) was present.
func (s *nameSet) addFolded(name []byte) bool {
	return add(&s.folded, &s.foldM, foldKey(name))
}

func add(list *[][]byte, m *map[string]struct{}, name []byte) bool {
	if *m != nil {
		if _, ok := (*m)[string(name)]; ok {
			return true
		}
		(*m)[string(name)] = struct{}{}
		return false
	}
	for _, n := range *list {
		if bytes.Equal(n, name) {
			return true
		}
	}
	*list = append(*list, name)
	if len(*list) > linearNames {
		*m = make(map[string]struct{}, 2*linearNames)
		for _, n := range *list {
			(*m)[string(n)] = struct{}{}
		}
		*list = nil
	}
	return false
}

// foldKey maps name to a key that is equal for two names exactly when
// strings.EqualFold says they are: every rune becomes one representative of
// its simple case-folding orbit (the lower-case ASCII letter when the orbit
// has one, as for K, k and the Kelvin sign; else the orbit's smallest rune).
// ASCII names without upper case are their own key (no allocation).
func foldKey(name []byte) []byte {
	plain := true
	for _, c := range name {
		if c >= utf8.RuneSelf || (c >= 'A' && c <= 'Z') {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	out := make([]byte, 0, len(name))
	for _, r := range string(name) {
		out = utf8.AppendRune(out, foldRune(r))
	}
	return out
}

func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= 'a' && f <= 'z' {
			return f
		}
		if f < min {
			min = f
		}
	}
	if r >= 'a' && r <= 'z' {
		return r
	}
	return min
}

var errLoneSurrogate = errors.New("invalid UTF-16 surrogate in \\u escape")

// unescape decodes the contents of a JSON string that has escapes (already
// syntax-checked by str). Lone surrogates are refused: they cannot be valid
// UTF-8.
func unescape(raw []byte) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair: \uD83D\uDE00. raw[i] is the last hex digit.
				if i+7 > len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' || !isHex4(raw[i+3:i+7]) {
					return nil, errLoneSurrogate
				}
				dec := utf16.DecodeRune(r, hex4(raw[i+3:i+7]))
				if dec == unicode.ReplacementChar {
					return nil, errLoneSurrogate
				}
				r = dec
				i += 6
			}
			out = utf8.AppendRune(out, r)
		}
		i++
	}
	return out, nil
}

func isHex4(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	for _, c := range b[:4] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// unquote decodes a complete JSON string literal (with its quotes).
func unquote(lit []byte) (string, error) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", errors.New("not a JSON string")
	}
	raw := lit[1 : len(lit)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	b, err := unescape(raw)
	return string(b), err
}

// pointer renders a JSON Pointer (RFC 6901 §3: ~ as ~0, / as ~1).
func pointer(path []string) string {
	var b strings.Builder
	for _, seg := range path {
		b.WriteByte('/')
		for _, r := range seg {
			switch r {
			case '~':
				b.WriteString("~0")
			case '/':
				b.WriteString("~1")
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// Segments splits a JSON Pointer made by this package into its unescaped
// segments ("" is the whole document).
func Segments(ptr string) []string {
	if ptr == "" {
		return nil
	}
	parts := strings.Split(ptr[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

// Index parses a JSON Pointer segment as an array index.
func Index(seg string) (int, bool) {
	n, err := strconv.Atoi(seg)
	return n, err == nil && n >= 0 && (seg == "0" || seg[0] != '0')
}
