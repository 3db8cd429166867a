package wire

import "strings"

// What the parser records and checks of JSON-RPC 2.0 and MCP members.

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
