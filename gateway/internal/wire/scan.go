package wire

import "unicode/utf8"

// The scanners of JSON scalars (RFC 8259 §3, §6, §7) the parser uses.

func (p *parser) literal(word string) error {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return p.fail(KindSyntax, p.i, "invalid literal")
	}
	p.msg.DecodeCost += costLiteral
	p.i += len(word)
	return nil
}

// number scans a JSON number (RFC 8259 §6) and tells whether it is written
// as an integer (no fraction, no exponent).
func (p *parser) number() (integer bool, err error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return false, p.fail(KindSyntax, start, "invalid number")
	}
	integer = true
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return false, p.fail(KindSyntax, start, "invalid number")
		}
		integer = false
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return false, p.fail(KindSyntax, start, "invalid number")
		}
		integer = false
	}
	return integer, nil
}

func (p *parser) digits() int {
	n := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// str scans a string at p.i and returns its contents: a sub-slice of the
// body when it has no escapes, else a decoded copy (escaped is then true).
func (p *parser) str() (s []byte, escaped bool, err error) {
	start := p.i
	p.i++ // "
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw := p.b[start+1 : p.i]
			p.i++
			if !escaped {
				return raw, false, nil
			}
			dec, err := unescape(raw)
			if err != nil {
				return nil, true, p.fail(KindSyntax, start, err.Error())
			}
			return dec, true, nil
		case c == '\\':
			escaped = true
			p.i++
			if p.i >= len(p.b) {
				return nil, true, p.fail(KindSyntax, p.i, "unexpected end of JSON in string")
			}
			switch p.b[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if len(p.b)-p.i < 5 || !isHex4(p.b[p.i+1:p.i+5]) {
					return nil, true, p.fail(KindSyntax, p.i, "invalid \\u escape")
				}
				p.i += 5
			default:
				return nil, true, p.fail(KindSyntax, p.i, "invalid escape in string")
			}
		case c < 0x20:
			return nil, escaped, p.fail(KindSyntax, p.i, "control character in string")
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, n := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, escaped, p.fail(KindSyntax, p.i, "invalid UTF-8")
			}
			p.i += n
		}
	}
	return nil, escaped, p.fail(KindSyntax, start, "unterminated string")
}
