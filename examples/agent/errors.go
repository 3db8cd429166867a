package agent

import "errors"

// Errors of a run, wrapped with detail.
var (
	// ErrDiscovery: the authorization server's RFC 8414 metadata is
	// unusable (unreachable, wrong issuer, no token endpoint).
	ErrDiscovery = errors.New("agent: authorization server discovery failed")
	// ErrToken: the token endpoint refused the request.
	ErrToken = errors.New("agent: token request failed")
	// ErrToolsMissing: the gateway does not offer a tool the plan needs.
	ErrToolsMissing = errors.New("agent: gateway does not offer the plan's tools")
	// ErrNoSuchUser: the message's author does not exist.
	ErrNoSuchUser = errors.New("agent: no such user")
	// ErrMissingComment: the comment just created is not listed.
	ErrMissingComment = errors.New("agent: comment not found")
	// ErrNotRefused: the gateway allowed the call beyond the token's
	// scopes, which it must refuse.
	ErrNotRefused = errors.New("agent: the gateway allowed a call beyond the token's scopes")
	// ErrToolFailed: a tool answered with isError.
	ErrToolFailed = errors.New("agent: tool failed")
)
