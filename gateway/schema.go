package gateway

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"go-micro.dev/v5/registry"
)

// schemaFromValue derives a best-effort JSON schema from go-micro's registry
// request type tree, for services that do not declare one through
// gateway/tool. The tree is lossy (no optional fields, nesting cut, no map
// value types), so the schema constrains types only where they are known and
// never forbids extra properties.
func schemaFromValue(v *registry.Value) map[string]any {
	props := map[string]any{}
	if v != nil {
		for _, f := range v.Values {
			if f == nil || f.Name == "" {
				continue
			}
			props[f.Name] = fieldSchema(f)
		}
	}
	return map[string]any{"type": "object", "properties": props}
}

func fieldSchema(v *registry.Value) map[string]any {
	t := strings.TrimPrefix(v.Type, "*")
	switch {
	case strings.HasPrefix(t, "[]byte"):
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	case strings.HasPrefix(t, "[]"):
		elem := &registry.Value{Type: strings.TrimPrefix(t, "[]"), Values: v.Values}
		return map[string]any{"type": "array", "items": fieldSchema(elem)}
	case strings.HasPrefix(t, "map["):
		return map[string]any{"type": "object"}
	}
	switch t {
	case "string":
		return map[string]any{"type": "string"}
	case "bool":
		return map[string]any{"type": "boolean"}
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return map[string]any{"type": "integer"}
	case "float32", "float64":
		return map[string]any{"type": "number"}
	case "time.Time", "Time":
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if len(v.Values) > 0 {
		return schemaFromValue(v)
	}
	return map[string]any{} // unknown named type: accept anything
}

// compiledSchema is a tool's input schema in the two forms the gateway needs.
type compiledSchema struct {
	raw      json.RawMessage
	resolved *jsonschema.Resolved
}

// compileSchema parses and resolves a schema whose root must be an object.
func compileSchema(raw json.RawMessage) (compiledSchema, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return compiledSchema{}, fmt.Errorf("input schema: %w", err)
	}
	if s.Type != "object" {
		return compiledSchema{}, fmt.Errorf("input schema: root type %q, want object", s.Type)
	}
	r, err := s.Resolve(nil)
	if err != nil {
		return compiledSchema{}, fmt.Errorf("input schema: %w", err)
	}
	return compiledSchema{raw: raw, resolved: r}, nil
}

// validate checks raw arguments (absent means {}) against the schema.
func (c compiledSchema) validate(args json.RawMessage) error {
	var v any = map[string]any{}
	if len(args) > 0 && string(args) != "null" {
		if err := json.Unmarshal(args, &v); err != nil {
			return fmt.Errorf("arguments are not JSON: %w", err)
		}
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("arguments must be a JSON object")
	}
	return c.resolved.Validate(v)
}
