package wire

import (
	"strconv"
)

// DefaultMaxDepth is the nesting limit [Parse] applies when given 0.
const DefaultMaxDepth = 64

// level says where in the message an object is, which decides the checks
// its member names get.
type level int

const (
	levelValue    level = iota // anywhere else: exact duplicates refused
	levelEnvelope              // the message: + case variants of protocol members
	levelParams                // params: + case variants
	levelMeta                  // params._meta: + case variants
	levelArgs                  // inside params.arguments: + case collisions recorded as ArgsFault
)

// Parse reads body as exactly one JSON-RPC 2.0 message, strictly (RFC 8259
// plus the rules below), and returns it with the members the pipeline uses.
// It refuses, as an *[Error]:
//   - KindSyntax: anything that is not one JSON value followed only by
//     whitespace, invalid UTF-8 (also as \u escapes of lone surrogates),
//     control characters in strings;
//   - KindInvalid: a batch (array) or any non-object message, a member name
//     that occurs twice in one object at any depth (compared after
//     unescaping), a name differing only in case from a protocol member at
//     the envelope, params or _meta level (or two such names), a missing or
//     wrong "jsonrpc", protocol members of the wrong type, a message that is
//     neither request nor response;
//   - KindTooDeep: arrays and objects nested deeper than maxDepth
//     (0 means [DefaultMaxDepth]).
//
// Inside params.arguments two keys of one object that are equal when case is
// ignored do not fail the parse: they set Message.ArgsFault, so the call can
// be refused as invalid arguments of its tool.
func Parse(body []byte, maxDepth int) (*Message, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := &parser{b: body, max: maxDepth, msg: &Message{Body: body}}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] != '{' {
		if p.b[p.i] == '[' {
			// Still check the syntax: garbage is a parse error first.
			if err := p.value(levelValue); err != nil {
				return nil, err
			}
			return nil, p.fail(KindInvalid, 0, "batches are not accepted: send one JSON-RPC message per request")
		}
		if err := p.value(levelValue); err != nil {
			return nil, err
		}
		return nil, p.fail(KindInvalid, 0, "a JSON-RPC message must be an object")
	}
	if err := p.value(levelEnvelope); err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, p.fail(KindSyntax, p.i, "trailing data after the JSON-RPC message")
	}
	if err := p.checkEnvelope(); err != nil {
		return nil, err
	}
	return p.msg, nil
}

type parser struct {
	b     []byte
	i     int
	depth int
	max   int
	msg   *Message

	// seen marks envelope members, for the envelope check.
	hasJSONRPC, hasMethod, hasResult bool
	jsonrpc                          string
	// path is the JSON Pointer stack inside arguments.
	path []string
}

func (p *parser) fail(k Kind, at int, msg string) *Error {
	return &Error{Kind: k, Msg: msg, Offset: at, ID: p.msg.ID}
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses one JSON value at lvl (levels other than levelValue and
// levelArgs apply to objects only).
func (p *parser) value(lvl level) error {
	p.ws()
	if p.i >= len(p.b) {
		return p.fail(KindSyntax, p.i, "unexpected end of JSON")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(lvl)
	case c == '[':
		return p.array(lvl)
	case c == '"':
		start := p.i
		_, _, err := p.str()
		p.msg.DecodeCost += costString + int64(p.i-start)
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		p.msg.DecodeCost += costNumber
		start := p.i
		integer, err := p.number()
		if err == nil && !integer && lvl == levelArgs {
			p.msg.NonIntegerNumbers = append(p.msg.NonIntegerNumbers, Number{Pointer: pointer(p.path), Start: start, End: p.i})
		}
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	}
	return p.fail(KindSyntax, p.i, "invalid character "+strconv.QuoteRune(rune(p.b[p.i]))+" looking for a value")
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > p.max {
		return p.fail(KindTooDeep, p.i, "nesting deeper than "+strconv.Itoa(p.max)+" levels")
	}
	return nil
}

func (p *parser) array(lvl level) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.i++ // [
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.depth--
		p.msg.DecodeCost += costArray
		return nil
	}
	p.msg.DecodeCost += costArray
	inner := levelValue
	if lvl == levelArgs {
		inner = levelArgs
	}
	for n := 0; ; n++ {
		p.msg.DecodeCost += costElement
		if inner == levelArgs {
			p.path = append(p.path, strconv.Itoa(n))
		}
		if err := p.value(inner); err != nil {
			return err
		}
		if inner == levelArgs {
			p.path = p.path[:len(p.path)-1]
		}
		p.ws()
		if p.i >= len(p.b) {
			return p.fail(KindSyntax, p.i, "unexpected end of JSON in array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return nil
		default:
			return p.fail(KindSyntax, p.i, "expected , or ] in array")
		}
	}
}

func (p *parser) object(lvl level) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.i++ // {
	var names nameSet
	fold := lvl != levelValue
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.depth--
		p.msg.DecodeCost += costEmpty
		return nil
	}
	p.msg.DecodeCost += costObject
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return p.fail(KindSyntax, p.i, "expected a member name")
		}
		at := p.i
		name, escaped, err := p.str()
		if err != nil {
			return err
		}
		p.msg.DecodeCost += costMember + costString + int64(len(name))
		if names.addExact(name, escaped) {
			return p.fail(KindInvalid, at, "duplicate member "+strconv.Quote(string(name)))
		}
		if fold {
			if names.addFolded(name) {
				if lvl == levelArgs {
					if p.msg.ArgsFault == nil {
						p.msg.ArgsFault = &Error{Kind: KindInvalid, Offset: at,
							Msg: "argument keys " + strconv.Quote(string(name)) + " and another key of the same object differ only in letter case"}
					}
				} else {
					return p.fail(KindInvalid, at, "member "+strconv.Quote(string(name))+" differs only in letter case from another member")
				}
			}
			if lvl != levelArgs && caseVariant(string(name), lvl) {
				return p.fail(KindInvalid, at, "member "+strconv.Quote(string(name))+" differs only in letter case from a protocol member")
			}
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return p.fail(KindSyntax, p.i, "expected : after a member name")
		}
		p.i++
		p.ws()
		if err := p.member(lvl, string(name)); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return p.fail(KindSyntax, p.i, "unexpected end of JSON in object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return nil
		default:
			return p.fail(KindSyntax, p.i, "expected , or } in object")
		}
	}
}
