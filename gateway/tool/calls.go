package tool

import (
	"errors"
	"fmt"
	"strings"
)

// MetadataCalls is the endpoint metadata key listing the downstream
// endpoints a handler calls while serving the endpoint, comma-separated, each
// as "<service>.<Endpoint>" ("users.Users.Read"): the name the gateway gives
// the endpoint's tool and the guard compares against.
const MetadataCalls = "calls"

// ErrInvalidCall is returned (wrapped, naming the value) for a [Calls] entry
// that is not "<service>.<Handler>.<Method>".
var ErrInvalidCall = errors.New("tool: invalid downstream endpoint name")

// Calls declares the downstream endpoints ("users.Users.Read") the handler
// of this endpoint calls. The gateway signs the list, with the downstream
// endpoints' own calls, into the identity it mints for a call of this
// endpoint; a guarded downstream service accepts that identity only for an
// endpoint on the list, and only if the identity holds one of that
// endpoint's declared scopes. An endpoint that calls nothing declares
// nothing. Given more than once, the lists add up. Names are trimmed; a
// name without at least
// a service, a handler and a method ("users.Users.Read"), or holding a comma
// or a space, is an error (Endpoint panics, [Metadata] returns it).
func Calls(endpoints ...string) Option {
	return optionFunc(func(c *contractConfig) {
		for _, e := range endpoints {
			if err := checkCall(strings.TrimSpace(e)); err != nil {
				c.errs = append(c.errs, err)
				return
			}
		}
		if v := FormatScopes(c.md[MetadataCalls], strings.Join(endpoints, ",")); v != "" {
			c.md[MetadataCalls] = v
		}
	})
}

// ParseCalls splits a [MetadataCalls] value like [ParseScopes]: trimmed,
// empties and duplicates dropped, order kept; nil when empty.
func ParseCalls(s string) []string { return ParseScopes(s) }

// checkCall accepts "<service>.<Handler>.<Method>" with no separator
// characters; the service name may itself contain dots.
func checkCall(name string) error {
	if strings.ContainsAny(name, ", \t\r\n") || strings.Count(name, ".") < 2 {
		return fmt.Errorf("%w: %q, want <service>.<Handler>.<Method>", ErrInvalidCall, name)
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return fmt.Errorf("%w: %q has an empty part", ErrInvalidCall, name)
		}
	}
	return nil
}
