package authserver

import (
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Token lifetimes.
const (
	// DefaultTokenLifetime is used when [Config.TokenLifetime] is zero.
	DefaultTokenLifetime = 5 * time.Minute
	// MaxTokenLifetime bounds [Config.TokenLifetime]: demo tokens are short.
	MaxTokenLifetime = 5 * time.Minute
)

// Defaults of [DefaultConfig], matching a local run of the gateway.
const (
	DefaultIssuer   = "http://127.0.0.1:9090"
	DefaultAudience = "http://127.0.0.1:8080/mcp"
	// DefaultUser is the sub of tokens from the authorization code flow:
	// the one user of a dev server, signed in without a password.
	DefaultUser = "demo-user"
)

// Errors returned by [Config.Validate] (and so by [New]).
var (
	ErrInvalidIssuer   = errors.New("authserver: issuer must be an absolute http(s) URL without path, query or fragment")
	ErrInvalidAudience = errors.New("authserver: audience must be an absolute URI without fragment")
	ErrNoClients       = errors.New("authserver: no clients configured")
	ErrInvalidClient   = errors.New("authserver: invalid client")
	ErrInvalidLifetime = errors.New("authserver: token lifetime out of range")
	ErrInvalidKey      = errors.New("authserver: unusable signing key")
	ErrInvalidUser     = errors.New("authserver: invalid user")
)

// Client is a confidential client allowed the client_credentials grant.
// Public clients (MCP clients signing a user in) need no configuration: they
// register themselves (RFC 7591) or are described by a Client ID Metadata
// Document at their client_id URL.
type Client struct {
	// ID is the client_id; it is also the token's sub.
	ID string `json:"id" yaml:"id"`
	// Secret is compared in constant time.
	Secret string `json:"secret" yaml:"secret"`
	// Scopes the client may be granted.
	Scopes []string `json:"scopes" yaml:"scopes"`
}

// Config is what [New] needs.
type Config struct {
	// Issuer is the iss of every token and the base of every URL in the
	// metadata, e.g. http://authserver:9090. Path, query and fragment are
	// not allowed (all endpoints are served at the root).
	Issuer string
	// Audience is the aud of every token: the gateway's resource URI
	// (RFC 8707), e.g. http://gateway:8080/mcp. A token request's resource
	// parameter must equal it.
	Audience string
	// Resources are further resources (RFC 8707) this issuer serves, each
	// with the only scopes a token for it may carry, e.g. the tracegate
	// console {"http://127.0.0.1:8080/console": ["tracegate:admin"]}: the
	// user may grant them on the consent page, a client gets those of its
	// scopes that are among them.
	Resources map[string][]string
	// Clients that may ask for tokens with client credentials.
	Clients []Client
	// User is the sub of tokens issued through the authorization code flow
	// (consent page, no password); empty means [DefaultUser].
	User string
	// UserScopes are the scopes the user may grant to public clients on the
	// consent page; nil means [DemoUserScopes]. A request for another scope
	// is refused with invalid_scope.
	UserScopes []string
	// HTTPClient fetches Client ID Metadata Documents (a timeout is added
	// and redirects are refused); nil uses http.DefaultTransport. Tests that
	// serve a document over TLS pass a client trusting their certificate.
	HTTPClient *http.Client
	// TokenLifetime of issued tokens; zero means [DefaultTokenLifetime], at
	// most [MaxTokenLifetime].
	TokenLifetime time.Duration
	// SigningKey is an ed25519.PrivateKey (EdDSA), *rsa.PrivateKey (RS256,
	// 2048 bits or more) or *ecdsa.PrivateKey on P-256 (ES256); nil
	// generates an Ed25519 key in [New]. See [LoadSigningKey].
	SigningKey crypto.Signer
	// Logger receives one record per token issued or refused (never a
	// secret or a token); nil logs nothing.
	Logger *slog.Logger
}

// DefaultConfig returns a configuration for a local demo: [DefaultIssuer],
// [DefaultAudience], the [DemoClients] and [DefaultTokenLifetime].
func DefaultConfig() Config {
	return Config{
		Issuer:        DefaultIssuer,
		Audience:      DefaultAudience,
		Clients:       DemoClients(),
		TokenLifetime: DefaultTokenLifetime,
	}
}

// DemoUserScopes are the scopes the demo's user may grant a public client:
// read and write the blog, not administer it (least privilege, like
// demo-agent).
func DemoUserScopes() []string { return []string{"blog:read", "blog:write"} }

// DemoClients are the demo's clients: demo-agent (secret demo-secret) may
// read and write the blog but not administer it, so the demo's Posts.Delete
// is refused with 403; admin-agent (secret admin-secret) may do everything,
// and get tracegate:admin for the console (a resource in Config.Resources).
func DemoClients() []Client {
	return []Client{
		{ID: "demo-agent", Secret: "demo-secret", Scopes: []string{"blog:read", "blog:write"}},
		{ID: "admin-agent", Secret: "admin-secret", Scopes: []string{"blog:read", "blog:write", "blog:admin", "tracegate:admin"}},
	}
}

// Validate checks the configuration; errors wrap the Err* values above.
func (c Config) Validate() error {
	if err := validateIssuer(c.Issuer); err != nil {
		return err
	}
	if u, err := url.Parse(c.Audience); err != nil || !u.IsAbs() || u.Fragment != "" {
		return fmt.Errorf("%w: %q", ErrInvalidAudience, c.Audience)
	}
	for res := range c.Resources {
		if u, err := url.Parse(res); err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("%w: resource %q", ErrInvalidAudience, res)
		}
	}
	if c.TokenLifetime < 0 || c.TokenLifetime > MaxTokenLifetime {
		return fmt.Errorf("%w: %s (want at most %s)", ErrInvalidLifetime, c.TokenLifetime, MaxTokenLifetime)
	}
	if c.TokenLifetime != 0 && c.TokenLifetime < time.Second {
		return fmt.Errorf("%w: %s (want at least 1s)", ErrInvalidLifetime, c.TokenLifetime)
	}
	if c.User != "" && (!isVisibleASCII(c.User) || len(c.User) > 128) {
		return fmt.Errorf("%w: %q must be at most 128 printable ASCII characters without spaces", ErrInvalidUser, c.User)
	}
	for _, sc := range c.UserScopes {
		if !validScopeToken(sc) {
			return fmt.Errorf("%w: invalid user scope %q", ErrInvalidUser, sc)
		}
	}
	if len(c.Clients) == 0 {
		return ErrNoClients
	}
	seen := make(map[string]bool, len(c.Clients))
	for _, cl := range c.Clients {
		if err := cl.validate(); err != nil {
			return err
		}
		if seen[cl.ID] {
			return fmt.Errorf("%w: duplicate id %q", ErrInvalidClient, cl.ID)
		}
		seen[cl.ID] = true
	}
	return nil
}

func validateIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%w: %q", ErrInvalidIssuer, iss)
	}
	return nil
}

func (cl Client) validate() error {
	switch {
	case cl.ID == "" || !isVisibleASCII(cl.ID) || strings.Contains(cl.ID, ":"):
		return fmt.Errorf("%w: id %q must be non-empty printable ASCII without spaces or ':'", ErrInvalidClient, cl.ID)
	case cl.Secret == "":
		return fmt.Errorf("%w: %s has an empty secret", ErrInvalidClient, cl.ID)
	}
	for _, s := range cl.Scopes {
		if !validScopeToken(s) {
			return fmt.Errorf("%w: %s has invalid scope %q", ErrInvalidClient, cl.ID, s)
		}
	}
	return nil
}

// validScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// isVisibleASCII reports whether s is made of %x21-7E only.
func isVisibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
