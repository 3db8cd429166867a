package wire

import (
	"bytes"
	"errors"
	"fmt"
)

// Message is one JSON-RPC 2.0 message (JSON-RPC 2.0 §4–5) as received,
// parsed once by [Parse]. Raw members are sub-slices of the body, so they
// are exactly the bytes the client sent.
type Message struct {
	// Body is the whole message.
	Body []byte

	// ID is the raw id (a JSON string or number), nil when absent (a
	// notification). An explicit null id is kept as the bytes null.
	ID []byte
	// Method is the method name; "" for a response.
	Method string
	// Params is the raw params value (object or array), nil when absent.
	Params []byte
	// IsResponse is set for a message with result or error instead of method.
	IsResponse bool

	// The members of params used by the pipeline, when params is an object.

	// Name is params.name (tools/call, prompts/get), HasName when present.
	Name    string
	HasName bool
	// Arguments is the raw params.arguments value, nil when absent.
	// ArgsStart/ArgsEnd are its offsets in Body.
	Arguments          []byte
	ArgsStart, ArgsEnd int
	// ArgsFault, when set, says why the arguments cannot be admitted even
	// though the message is well-formed: two keys of one object inside them
	// equal when case is ignored (Go services decode case-insensitively).
	ArgsFault error
	// NonIntegerNumbers lists the numbers inside arguments written with a
	// fraction or exponent (1.0, 1e0), for integer normalisation.
	NonIntegerNumbers []Number
	// Meta is the raw params._meta object, nil when absent.
	Meta []byte
	// ProtocolVersion is params.protocolVersion (initialize).
	ProtocolVersion string
	// URI is params.uri (resources/read and the like).
	URI string

	// DecodeCost bounds, in bytes, the heap a decode of the whole message
	// into Go's generic values (map[string]any, []any, float64, string)
	// takes, estimated from its structure: a decoded tree costs up to ~50
	// times its text ({"a":1} repeated), so the text's length alone does
	// not bound it. Measured with encoding/json on Go 1.26 (see the test).
	DecodeCost int64
}

// Costs of decoded values, in bytes (DecodeCost): map, slice and string
// headers, interface boxes, map groups, and a slice's growth slack.
const (
	costString  = 16  // + its bytes
	costNumber  = 24  // float64 in an interface
	costLiteral = 16  // true, false, null
	costEmpty   = 48  // {}
	costObject  = 320 // a map with its first group of slots
	costMember  = 64  // + the name's string
	costArray   = 184 // slice header and the MCP SDK decoder's make([]any, 0, 10); also []
	costElement = 32  // interface slot, doubled for growth
)

// DecodeCopies is how many decoded forms of one message may be live at
// once: the gateway's own (its _meta, its arguments while validated) and
// the MCP SDK's (its params, on the paths the SDK serves). What a message
// reserves from the in-flight budget is DecodeCopies × DecodeCost.
const DecodeCopies = 2

// Number is one number token inside the arguments: its JSON Pointer
// (RFC 6901) relative to the arguments object and its offsets in Body.
type Number struct {
	Pointer    string
	Start, End int
}

// IsCall reports whether m is a request expecting a response.
func (m *Message) IsCall() bool { return m.ID != nil && !m.IsResponse }

// IDText renders the id as text: 7, abc; "" for none or null.
func (m *Message) IDText() string {
	switch {
	case m.ID == nil, string(m.ID) == "null":
		return ""
	case m.ID[0] == '"':
		s, err := unquote(m.ID)
		if err != nil {
			return ""
		}
		return s
	}
	return string(m.ID)
}

// WithArguments returns the body with the arguments replaced by args: the
// message the pipeline admitted after normalisation. It returns m.Body
// itself when args are the same bytes.
func (m *Message) WithArguments(args []byte) []byte {
	if args == nil || m.Arguments == nil || bytes.Equal(args, m.Arguments) {
		return m.Body
	}
	out := make([]byte, 0, len(m.Body)-len(m.Arguments)+len(args))
	out = append(out, m.Body[:m.ArgsStart]...)
	out = append(out, args...)
	return append(out, m.Body[m.ArgsEnd:]...)
}

// Kind classifies a parse failure.
type Kind int

// Kinds of parse failure, each a JSON-RPC error code.
const (
	// KindSyntax: not JSON, invalid UTF-8, trailing data (-32700).
	KindSyntax Kind = iota + 1
	// KindInvalid: JSON, but not one acceptable JSON-RPC message: a batch,
	// a duplicate or case-variant member, a member of the wrong type (-32600).
	KindInvalid
	// KindTooDeep: nested deeper than the limit (-32600).
	KindTooDeep
)

// Error is a parse failure: its kind, a message safe to return to the
// client, the byte offset, and the id when it could be read before the
// failure (so the refusal can carry it).
type Error struct {
	Kind   Kind
	Msg    string
	Offset int
	ID     []byte
}

func (e *Error) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset) }

// Sentinel causes, for errors.Is on an *Error.
var (
	ErrSyntax  = errors.New("wire: malformed JSON")
	ErrInvalid = errors.New("wire: invalid JSON-RPC message")
	ErrTooDeep = errors.New("wire: nesting too deep")
)

// Is matches the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	switch e.Kind {
	case KindSyntax:
		return target == ErrSyntax
	case KindInvalid:
		return target == ErrInvalid
	case KindTooDeep:
		return target == ErrTooDeep
	}
	return false
}
