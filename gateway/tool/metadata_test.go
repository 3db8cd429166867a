package tool_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/tool"
)

func TestFromMetadata(t *testing.T) {
	c, err := tool.FromMetadata(map[string]string{
		"description":  "Publish a post.",
		"scopes":       "blog:write, blog:admin,,blog:write",
		"input_schema": `{"type":"object"}`,
		"example":      `{"title":"x"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := tool.Contract{
		Description: "Publish a post.",
		Scopes:      []string{"blog:write", "blog:admin"},
		InputSchema: []byte(`{"type":"object"}`),
		Example:     `{"title":"x"}`,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("FromMetadata = %+v, want %+v", c, want)
	}
}

func TestFromMetadataEmpty(t *testing.T) {
	c, err := tool.FromMetadata(nil)
	if err != nil || !reflect.DeepEqual(c, tool.Contract{}) {
		t.Fatalf("FromMetadata(nil) = %+v, %v", c, err)
	}
}

func TestFromMetadataBadSchema(t *testing.T) {
	for _, raw := range []string{`{"type":`, `{"type":"array"}`, `{"type":["null","object"]}`, `{}`} {
		_, err := tool.FromMetadata(map[string]string{"input_schema": raw})
		if !errors.Is(err, tool.ErrInvalidSchema) || !strings.Contains(err.Error(), `"input_schema"`) {
			t.Errorf("schema %s: err = %v, want ErrInvalidSchema naming the key", raw, err)
		}
	}
}

func TestParseScopes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"blog:read", []string{"blog:read"}},
		{" b , a,b ,c", []string{"b", "a", "c"}},
	} {
		if got := tool.ParseScopes(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseScopes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := tool.FormatScopes(" a", "b,a", "", "c "); got != "a,b,c" {
		t.Errorf("FormatScopes = %q, want a,b,c", got)
	}
}
