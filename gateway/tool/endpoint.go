package tool

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"go-micro.dev/v5/server"
)

// Option declares one part of an endpoint's contract.
type Option interface {
	apply(*contractConfig)
}

type optionFunc func(*contractConfig)

func (f optionFunc) apply(c *contractConfig) { f(c) }

type contractConfig struct {
	md   map[string]string
	errs []error
}

// Description sets the endpoint's description; "" is ignored.
func Description(d string) Option {
	return optionFunc(func(c *contractConfig) {
		if d != "" {
			c.md[MetadataDescription] = d
		}
	})
}

// Scopes sets the scopes required to call the endpoint, normalised as by
// [FormatScopes]. Given more than once, the scopes add up.
func Scopes(scopes ...string) Option {
	return optionFunc(func(c *contractConfig) {
		if v := FormatScopes(c.md[MetadataScopes], FormatScopes(scopes...)); v != "" {
			c.md[MetadataScopes] = v
		}
	})
}

// InputFor sets the input schema to [SchemaFor] the request type T (the
// handler's request struct, not a pointer to it, though both work).
func InputFor[T any]() Option {
	return optionFunc(func(c *contractConfig) {
		raw, err := SchemaFor[T]()
		if err != nil {
			c.errs = append(c.errs, err)
			return
		}
		c.md[MetadataInputSchema] = string(raw)
	})
}

// InputSchema sets a hand-written input schema; its root must have
// "type": "object".
func InputSchema(raw json.RawMessage) Option {
	return optionFunc(func(c *contractConfig) {
		if err := checkSchema(raw); err != nil {
			c.errs = append(c.errs, fmt.Errorf("tool: input schema: %w", err))
			return
		}
		c.md[MetadataInputSchema] = string(raw)
	})
}

// Example sets an example request, stored as JSON.
func Example(req any) Option {
	return optionFunc(func(c *contractConfig) {
		raw, err := json.Marshal(req)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("tool: example: %w", err))
			return
		}
		c.md[MetadataExample] = string(raw)
	})
}

// Metadata returns the endpoint metadata map the options describe, or the
// joined errors of the options that failed.
func Metadata(opts ...Option) (map[string]string, error) {
	c := contractConfig{md: map[string]string{}}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return c.md, nil
}

// Endpoint returns a handler option that sets the whole metadata map of the
// endpoint name ("Posts.Create") in one server.EndpointMetadata call. Use one
// Endpoint per endpoint and no other metadata option for the same endpoint:
// go-micro keeps only the last map given for a name (a go-micro doc comment
// still fills keys left unset).
//
// Endpoint panics if an option fails (a request type with no JSON Schema, an
// unmarshalable example): that is a programming error found when the handler
// is built at startup, as with regexp.MustCompile. Call [Metadata] to get the
// error instead.
func Endpoint(name string, opts ...Option) server.HandlerOption {
	md, err := Metadata(opts...)
	if err != nil {
		panic(fmt.Sprintf("tool.Endpoint(%q): %v", name, err))
	}
	return func(o *server.HandlerOptions) {
		// A fresh map each time: go-micro writes doc-comment keys into it.
		server.EndpointMetadata(name, maps.Clone(md))(o)
	}
}
