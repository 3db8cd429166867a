package tool_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/tracegate/tracegate/gateway/tool"
)

// node is a loosely typed view of a JSON Schema, for assertions.
type node map[string]any

func (n node) prop(path ...string) node {
	cur := n
	for _, p := range path {
		switch p {
		case "[]":
			cur = node(cur["items"].(map[string]any))
		case "{}":
			cur = node(cur["additionalProperties"].(map[string]any))
		default:
			props, _ := cur["properties"].(map[string]any)
			next, ok := props[p].(map[string]any)
			if !ok {
				return nil
			}
			cur = node(next)
		}
	}
	return cur
}

func (n node) required() []string {
	var out []string
	r, _ := n["required"].([]any)
	for _, v := range r {
		out = append(out, v.(string))
	}
	return out
}

func schemaOf(t *testing.T, raw json.RawMessage) node {
	t.Helper()
	var n node
	if err := json.Unmarshal(raw, &n); err != nil {
		t.Fatalf("schema is not JSON: %v\n%s", err, raw)
	}
	return n
}

func TestSchemaForRepresentsTheWholeType(t *testing.T) {
	raw, err := tool.SchemaFor[CreateRequest]()
	if err != nil {
		t.Fatal(err)
	}
	s := schemaOf(t, raw)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"root type", s["type"], "object"},
		{"root required", s.required(), []string{"title", "body", "author_id", "author", "draft"}},
		{"unexported field skipped", s.prop("internal") == nil, true},
		{"json tag description", s.prop("title")["description"], "the post title"},
		{"slice of strings", s.prop("tags", "[]")["type"], "string"},
		{"map value type", s.prop("metadata", "{}")["type"], "string"},
		{"map is object", s.prop("metadata")["type"], "object"},
		{"struct slice element field", s.prop("attachments", "[]", "size")["type"], "integer"},
		{"struct slice element required", s.prop("attachments", "[]").required(), []string{"name", "url"}},
		{"time pointer nullable", s.prop("publish_at")["type"], []any{"null", "string"}},
		{"time format", s.prop("publish_at")["format"], "date-time"},
		{"three levels deep", s.prop("author", "contact", "links", "[]", "href")["type"], "string"},
		{"pointer without omitempty", s.prop("draft")["type"], []any{"null", "boolean"}},
		{"closed structs", s["additionalProperties"], false},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestSchemaForPointerRootIsObject(t *testing.T) {
	raw, err := tool.SchemaFor[*ReadRequest]()
	if err != nil {
		t.Fatal(err)
	}
	if got := schemaOf(t, raw)["type"]; got != "object" {
		t.Fatalf("root type = %v, want object", got)
	}
}

func TestSchemaForRejects(t *testing.T) {
	if _, err := tool.SchemaFor[string](); !errors.Is(err, tool.ErrInvalidSchema) {
		t.Errorf("SchemaFor[string] err = %v, want ErrInvalidSchema", err)
	}
	type badMap struct {
		M map[int]string `json:"m"`
	}
	if _, err := tool.SchemaFor[badMap](); err == nil {
		t.Error("SchemaFor with map[int]string: want error")
	}
}
