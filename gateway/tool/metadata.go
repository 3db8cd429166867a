package tool

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
)

// Endpoint metadata keys. description, scopes and example are the keys
// go-micro's server options and gateway use too.
const (
	MetadataDescription = "description"
	MetadataScopes      = "scopes"
	MetadataInputSchema = "input_schema"
	MetadataExample     = "example"
)

// ErrInvalidSchema is returned (wrapped, naming the metadata key) for an
// input schema that is not JSON or whose root is not "type": "object".
var ErrInvalidSchema = errors.New("tool: invalid input schema")

// Contract is what a service declares about one endpoint.
type Contract struct {
	// Description is shown to the agent; empty if not declared.
	Description string
	// Scopes are the scopes required to call the endpoint (the gateway
	// decides whether any or all of them are needed); nil if not declared.
	Scopes []string
	// InputSchema is the JSON Schema of the request, root type object; nil if
	// not declared.
	InputSchema json.RawMessage
	// Example is an example request: JSON when written by [Example], free
	// text when taken from a go-micro doc comment (@example).
	Example string
	// Calls are the downstream endpoints ("users.Users.Read") the handler
	// calls, declared with [Calls]; nil if none. Malformed entries are
	// dropped.
	Calls []string
}

// FromMetadata reads a contract from an endpoint's registry metadata
// (registry.Endpoint.Metadata). Missing keys leave fields empty; a malformed
// input schema is an error wrapping [ErrInvalidSchema] that names the key.
func FromMetadata(md map[string]string) (Contract, error) {
	c := Contract{
		Description: md[MetadataDescription],
		Scopes:      ParseScopes(md[MetadataScopes]),
		Example:     md[MetadataExample],
	}
	for _, name := range ParseCalls(md[MetadataCalls]) {
		if checkCall(name) == nil {
			c.Calls = append(c.Calls, name)
		}
	}
	if raw := md[MetadataInputSchema]; raw != "" {
		if err := checkSchema([]byte(raw)); err != nil {
			return Contract{}, fmt.Errorf("tool: metadata %q: %w", MetadataInputSchema, err)
		}
		c.InputSchema = json.RawMessage(raw)
	}
	return c, nil
}

// checkSchema accepts a JSON Schema whose root has type object (the MCP SDK
// panics on any other root).
func checkSchema(raw []byte) error {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	if s.Type != "object" {
		return fmt.Errorf("%w: root type is %s, want object", ErrInvalidSchema, rootType(&s))
	}
	return nil
}

func rootType(s *jsonschema.Schema) string {
	switch {
	case s.Type != "":
		return fmt.Sprintf("%q", s.Type)
	case len(s.Types) > 0:
		return fmt.Sprintf("%q", s.Types)
	default:
		return "missing"
	}
}
