package wire

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting limit [Parse] applies when given 0.
const DefaultMaxDepth = 64

// Members of the JSON-RPC envelope, of MCP params and of params._meta that
// a client may not send in another letter case: "Method" beside "method"
// would be read as one message by a case-insensitive decoder and as another
// by a case-sensitive one.
var (
	envelopeMembers = []string{"jsonrpc", "id", "method", "params", "result", "error"}
	paramsMembers   = []string{"name", "arguments", "_meta", "protocolVersion", "capabilities", "clientInfo",
		"cursor", "uri", "level", "ref", "argument", "context", "progressToken", "requestState", "inputResponses"}
	metaMembers = []string{"progressToken", "traceparent", "tracestate", "baggage",
		"io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientInfo",
		"io.modelcontextprotocol/clientCapabilities", "io.modelcontextprotocol/logLevel"}
)

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

func (p *parser) literal(word string) error {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return p.fail(KindSyntax, p.i, "invalid literal")
	}
	p.msg.DecodeCost += costLiteral
	p.i += len(word)
	return nil
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

// member parses the value of member name of an object at lvl and records
// what the pipeline needs.
func (p *parser) member(lvl level, name string) error {
	start := p.i
	if start >= len(p.b) {
		return p.fail(KindSyntax, start, "unexpected end of JSON")
	}
	switch lvl {
	case levelArgs:
		p.path = append(p.path, name)
		err := p.value(levelArgs)
		p.path = p.path[:len(p.path)-1]
		return err
	case levelEnvelope:
		return p.envelopeMember(name, start)
	case levelParams:
		return p.paramsMember(name, start)
	}
	return p.value(levelValue)
}

func (p *parser) envelopeMember(name string, start int) error {
	switch name {
	case "jsonrpc":
		s, err := p.stringValue(start, "jsonrpc")
		p.hasJSONRPC, p.jsonrpc = true, s
		return err
	case "method":
		s, err := p.stringValue(start, "method")
		p.hasMethod, p.msg.Method = true, s
		return err
	case "id":
		if err := p.value(levelValue); err != nil {
			return err
		}
		id := p.b[start:p.i]
		if c := id[0]; c != '"' && c != '-' && (c < '0' || c > '9') && string(id) != "null" {
			return p.fail(KindInvalid, start, "id must be a string or a number")
		}
		p.msg.ID = id
		return nil
	case "params":
		if c := p.b[start]; c != '{' && c != '[' {
			if err := p.value(levelValue); err != nil {
				return err
			}
			return p.fail(KindInvalid, start, "params must be an object or an array")
		}
		lvl := levelParams
		if p.b[start] == '[' {
			lvl = levelValue
		}
		if err := p.value(lvl); err != nil {
			return err
		}
		p.msg.Params = p.b[start:p.i]
		return nil
	case "result", "error":
		p.hasResult = true
	}
	return p.value(levelValue)
}

func (p *parser) paramsMember(name string, start int) error {
	switch name {
	case "name":
		s, err := p.stringValue(start, "params.name")
		p.msg.Name, p.msg.HasName = s, true
		return err
	case "protocolVersion":
		s, err := p.stringValue(start, "params.protocolVersion")
		p.msg.ProtocolVersion = s
		return err
	case "uri":
		s, err := p.stringValue(start, "params.uri")
		p.msg.URI = s
		return err
	case "_meta":
		if p.b[start] != '{' {
			if err := p.value(levelValue); err != nil {
				return err
			}
			return p.fail(KindInvalid, start, "params._meta must be an object")
		}
		if err := p.value(levelMeta); err != nil {
			return err
		}
		p.msg.Meta = p.b[start:p.i]
		return nil
	case "arguments":
		if err := p.value(levelArgs); err != nil {
			return err
		}
		p.msg.Arguments, p.msg.ArgsStart, p.msg.ArgsEnd = p.b[start:p.i], start, p.i
		return nil
	}
	return p.value(levelValue)
}

// stringValue parses a value that must be a string and returns it unescaped.
func (p *parser) stringValue(start int, what string) (string, error) {
	if p.b[start] != '"' {
		if err := p.value(levelValue); err != nil {
			return "", err
		}
		return "", p.fail(KindInvalid, start, what+" must be a string")
	}
	s, _, err := p.str()
	return string(s), err
}

func (p *parser) checkEnvelope() error {
	switch {
	case !p.hasJSONRPC || p.jsonrpc != "2.0":
		return p.fail(KindInvalid, 0, `"jsonrpc" must be "2.0"`)
	case p.hasMethod && p.hasResult:
		return p.fail(KindInvalid, 0, "a message cannot be both a request and a response")
	case p.hasResult:
		p.msg.IsResponse = true
	case !p.hasMethod:
		return p.fail(KindInvalid, 0, `a request needs a "method"`)
	}
	return nil
}

// caseVariant reports whether name equals a protocol member of lvl when case
// is ignored but not exactly.
func caseVariant(name string, lvl level) bool {
	var members []string
	switch lvl {
	case levelEnvelope:
		members = envelopeMembers
	case levelParams:
		members = paramsMembers
	case levelMeta:
		members = metaMembers
	}
	for _, m := range members {
		if name != m && strings.EqualFold(name, m) {
			return true
		}
	}
	return false
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
