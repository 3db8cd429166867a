package tool

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// SchemaFor returns the JSON Schema of T as used for [MetadataInputSchema].
// It is jsonschema.For with two adjustments:
//
//   - time.Time is a string with "format": "date-time" (what encoding/json
//     produces), not a bare string;
//   - a pointer root (InputFor[*Req]) is the plain object, not
//     ["null", "object"]: a tool's input is always an object.
//
// Everything else follows jsonschema-go: JSON tags name the properties; a
// field is required unless tagged omitempty or omitzero (a pointer without
// omitempty is required but may be null); structs forbid additional
// properties; slices may be null; maps need string keys; a "jsonschema" tag
// is the property description. The root must be a struct (or a map with
// string keys).
func SchemaFor[T any]() (json.RawMessage, error) {
	return schemaForType(reflect.TypeFor[T]())
}

func schemaForType(t reflect.Type) (json.RawMessage, error) {
	s, err := jsonschema.ForType(t, &jsonschema.ForOptions{
		TypeSchemas: map[reflect.Type]*jsonschema.Schema{
			reflect.TypeFor[time.Time](): {Type: "string", Format: "date-time"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("tool: schema for %s: %w", t, err)
	}
	if s.Type == "" && slices.Equal(s.Types, []string{"null", "object"}) {
		s.Type, s.Types = "object", nil
	}
	if s.Type != "object" {
		return nil, fmt.Errorf("tool: schema for %s: %w: root type is %s, want object", t, ErrInvalidSchema, rootType(s))
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("tool: schema for %s: %w", t, err)
	}
	return raw, nil
}
