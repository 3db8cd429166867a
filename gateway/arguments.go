package gateway

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/tracegate/tracegate/gateway/internal/wire"
	"github.com/tracegate/tracegate/gateway/reason"
)

// admitArguments checks a tools/call's arguments against its tool's input
// schema and normalises them; the result is the admitted bytes, exactly what
// is dispatched. Refusals are invalid_arguments verdicts (an isError result
// the model can act on, MCP SEP-1303) or overloaded.
//
// Beyond JSON Schema validation (which the MCP SDK does not do for raw
// schemas), two rules protect services written in Go, whose decoder matches
// field names case-insensitively:
//   - no two keys of one object may be equal when case is ignored (found by
//     the parse), and no key may differ only in case from a property the
//     schema declares: {"limit":1,"LIMIT":1e9} must not be validated as one
//     value and decoded as another;
//   - a number the schema types as integer but written with a fraction or an
//     exponent (1.0, 1e0), which JSON Schema accepts and Go's decoder
//     refuses for an int field, is rewritten as an integer, or refused when
//     it is not whole or not within int64.
func (a *admitter) admitArguments(ex *exchange, e *toolEntry) *verdict {
	m := ex.msg
	invalid := func(format string, args ...any) *verdict {
		for i, a := range args {
			if err, ok := a.(error); ok { // validation errors quote the input: cap before formatting
				args[i] = capString(err.Error(), maxMessage)
			}
		}
		v := refuseWith(reason.InvalidArguments, fmt.Sprintf("invalid arguments for tool %s: ", e.Name)+fmt.Sprintf(format, args...))
		v.tool = e.Name
		return v
	}
	if m.ArgsFault != nil {
		return invalid("%s", m.ArgsFault.(*wire.Error).Msg)
	}
	args := m.Arguments
	var value any = map[string]any{}
	if args != nil && string(args) != "null" {
		if args[0] != '{' {
			return invalid("arguments must be a JSON object")
		}
		value = nil // its size is reserved with the message's (wire.Message.DecodeCost)
		if err := json.Unmarshal(args, &value); err != nil {
			return invalid("%v", err)
		}
	}
	root := e.Schema.resolved.Schema()
	if err := caseCollisions(root, root, value, ""); err != nil {
		return invalid("%v", err)
	}
	normalized, err := normaliseIntegers(root, m)
	if err != nil {
		return invalid("%v", err)
	}
	if err := e.Schema.resolved.Validate(value); err != nil {
		return invalid("%v", err)
	}
	ex.args = normalized
	return nil
}

// overloaded is the verdict when the in-flight budget is exhausted.
func overloaded() *verdict {
	v := refuseWith(reason.Overloaded, "the gateway is busy with other large requests: retry shortly")
	v.retryAfter = time.Second
	return v
}

// caseCollisions reports a key of an object in value that differs only in
// letter case from a property its schema declares, at any depth.
func caseCollisions(root, s *jsonschema.Schema, value any, at string) error {
	s = deref(root, s)
	if s == nil {
		return nil
	}
	switch v := value.(type) {
	case map[string]any:
		for k, child := range v {
			if _, ok := s.Properties[k]; !ok {
				for p := range s.Properties {
					if strings.EqualFold(p, k) {
						return fmt.Errorf("key %s/%s differs only in letter case from the property %q", at, strconv.Quote(k), p)
					}
				}
			}
			if err := caseCollisions(root, childSchema(root, s, k), child, at+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, child := range v {
			if err := caseCollisions(root, childSchema(root, s, strconv.Itoa(i)), child, at+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// normaliseIntegers rewrites the integer-typed numbers of m's arguments that
// are written with a fraction or exponent, returning the new argument bytes
// (the original slice when nothing changes).
func normaliseIntegers(root *jsonschema.Schema, m *wire.Message) ([]byte, error) {
	args := m.Arguments
	var out []byte
	last := m.ArgsStart
	for _, n := range m.NonIntegerNumbers {
		s := root
		for _, seg := range wire.Segments(n.Pointer) {
			if s = childSchema(root, s, seg); s == nil {
				break
			}
		}
		if s = deref(root, s); s == nil || !typedInteger(s) {
			continue
		}
		text := string(m.Body[n.Start:n.End])
		r, ok := new(big.Rat).SetString(text)
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return nil, fmt.Errorf("%s: %s is not an integer within int64", pointerText(n.Pointer), text)
		}
		if out == nil {
			out = make([]byte, 0, len(args))
		}
		out = append(out, m.Body[last:n.Start]...)
		out = strconv.AppendInt(out, r.Num().Int64(), 10)
		last = n.End
	}
	if out == nil {
		return args, nil
	}
	return append(out, m.Body[last:m.ArgsEnd]...), nil
}

func pointerText(p string) string {
	if p == "" {
		return "arguments"
	}
	return "arguments" + p
}

// typedInteger tells whether s types its value as integer (alone or with null).
func typedInteger(s *jsonschema.Schema) bool {
	if s.Type == "integer" {
		return true
	}
	return slices.Contains(s.Types, "integer") && !slices.Contains(s.Types, "number")
}

// childSchema is the schema of member (or array index) seg of a value of
// schema s: properties, prefixItems/items, additionalProperties.
func childSchema(root, s *jsonschema.Schema, seg string) *jsonschema.Schema {
	s = deref(root, s)
	if s == nil {
		return nil
	}
	if c, ok := s.Properties[seg]; ok {
		return c
	}
	if i, ok := wire.Index(seg); ok && (s.Items != nil || len(s.PrefixItems) > 0) {
		if i < len(s.PrefixItems) {
			return s.PrefixItems[i]
		}
		return s.Items
	}
	return s.AdditionalProperties
}

// deref follows a local $ref (#/$defs/… or #/definitions/…).
func deref(root, s *jsonschema.Schema) *jsonschema.Schema {
	for i := 0; s != nil && s.Ref != "" && i < 16; i++ {
		name, ok := strings.CutPrefix(s.Ref, "#/$defs/")
		defs := root.Defs
		if !ok {
			if name, ok = strings.CutPrefix(s.Ref, "#/definitions/"); !ok {
				return nil
			}
			defs = root.Definitions
		}
		s = defs[name]
	}
	return s
}
