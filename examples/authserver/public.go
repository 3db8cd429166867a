package authserver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Grant and response types of public clients, and their only client
// authentication method.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	ResponseTypeCode       = "code"
	AuthNone               = "none"
	PKCEMethodS256         = "S256"
)

// maxClientNameLen bounds a client's self-chosen display name (bytes).
const maxClientNameLen = 200

// errClientMetadata wraps every reason a client's metadata is refused.
var errClientMetadata = errors.New("invalid client metadata")

// clientMetadata is the part of the RFC 7591 §2 client metadata the server
// reads, from a dynamic registration request or from a Client ID Metadata
// Document. Other members are ignored (RFC 7591 §3.1).
type clientMetadata struct {
	ClientID                string   `json:"client_id,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
}

// publicClient is a client without a secret that uses the authorization
// code flow with PKCE: registered through RFC 7591, or described by the
// Client ID Metadata Document at its client_id URL.
type publicClient struct {
	id           string
	name         string // chosen by the client, never verified
	redirectURIs []string
	fromDocument bool
}

// allowsRedirect reports whether uri matches one of the client's redirect
// URIs (loopback ports may differ, RFC 8252 §7.3).
func (c publicClient) allowsRedirect(uri string) bool {
	return slices.ContainsFunc(c.redirectURIs, func(r string) bool { return redirectMatches(r, uri) })
}

// check validates metadata for a public client and returns the client. The
// token endpoint authentication method must be none or absent: a public
// client has no secret, and a metadata document cannot carry one (CIMD §4.1
// forbids client_secret_*). Grant types may be authorization_code and
// refresh_token (the server issues no refresh tokens, so it records
// authorization_code only), response types only code. Errors wrap
// errClientMetadata and name the member at fault.
func (m clientMetadata) check(id string, fromDocument bool) (publicClient, error) {
	fail := func(format string, a ...any) (publicClient, error) {
		return publicClient{}, fmt.Errorf("%w: "+format, append([]any{errClientMetadata}, a...)...)
	}
	if len(m.RedirectURIs) == 0 {
		return fail("redirect_uris is required")
	}
	if len(m.RedirectURIs) > maxRedirectURIs {
		return fail("at most %d redirect_uris", maxRedirectURIs)
	}
	for _, r := range m.RedirectURIs {
		if err := checkRedirectURI(r); err != nil {
			return publicClient{}, fmt.Errorf("%w: %w", errRedirectURI, err)
		}
	}
	if a := m.TokenEndpointAuthMethod; a != "" && a != AuthNone {
		return fail("token_endpoint_auth_method %q: this server has public clients only (none)", a)
	}
	for _, g := range m.GrantTypes {
		if g != GrantAuthorizationCode && g != GrantRefreshToken {
			return fail("grant_types: %q is not available to a public client (authorization_code only)", g)
		}
	}
	for _, r := range m.ResponseTypes {
		if r != ResponseTypeCode {
			return fail("response_types: %q is not supported (code only)", r)
		}
	}
	if !displayable(m.ClientName) {
		return fail("client_name must be at most %d bytes of printable UTF-8", maxClientNameLen)
	}
	for _, sc := range strings.Fields(m.Scope) {
		if !validScopeToken(sc) {
			return fail("scope: malformed %q", sc)
		}
	}
	name := m.ClientName
	if name == "" {
		name = id
	}
	return publicClient{id: id, name: name, redirectURIs: slices.Clone(m.RedirectURIs), fromDocument: fromDocument}, nil
}

// errRedirectURI marks a refused redirect URI (RFC 7591 invalid_redirect_uri).
var errRedirectURI = errors.New("invalid redirect URI")

// displayable reports whether s is at most maxClientNameLen bytes of valid
// UTF-8 without control characters.
func displayable(s string) bool {
	if len(s) > maxClientNameLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}
