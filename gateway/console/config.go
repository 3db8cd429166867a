package console

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultScope is the operator scope a console token must carry.
const DefaultScope = "tracegate:admin"

// Config is the console section of the gateway configuration (YAML).
type Config struct {
	// Enabled serves the console at /console.
	Enabled bool `yaml:"enabled"`
	// Resource is the console's resource URI (RFC 8707) and its base URL,
	// e.g. https://mcp.example.com/console: console tokens must carry it in
	// aud. Default: the gateway's auth.resource with the path /console.
	Resource string `yaml:"resource"`
	// Scope is the operator scope (tracegate:admin).
	Scope string `yaml:"scope"`
	// ClientID is the console's OAuth client id at the issuer. Default: the
	// URL of the Client ID Metadata Document the console serves,
	// <resource>/oauth-client.json.
	ClientID string `yaml:"client_id"`
	// Clients are the callers the Tools page checks each tool against
	// ("who may call it"): their client ids and the scopes they are granted.
	// The column is absent when none are listed.
	Clients []Client `yaml:"clients"`
	// JaegerURL is Jaeger's query API, for message views and the audit
	// search (empty: those pages say so). JaegerUIURL is where links to
	// Jaeger's UI point (default JaegerURL): its base URL (links go to
	// <JaegerUIURL>/trace/<id>), or a URL with {trace_id} for a Jaeger
	// without its UI, e.g. http://127.0.0.1:16686/api/v3/traces/{trace_id}.
	JaegerURL   string `yaml:"jaeger_url"`
	JaegerUIURL string `yaml:"jaeger_ui_url"`
	// Service is the gateway's service name in Jaeger (tracegate).
	Service string `yaml:"service"`
	// SessionTTL is how long a sign-in lasts (1h).
	SessionTTL time.Duration `yaml:"session_ttl"`
}

// Client is a caller listed for the Tools page.
type Client struct {
	ID     string   `yaml:"id" json:"id"`
	Scopes []string `yaml:"scopes" json:"scopes"`
}

// Configuration errors.
var (
	ErrNoResource  = errors.New("console: resource (the console's resource URI) is required")
	ErrBadResource = errors.New("console: resource must be an absolute http(s) URL without query or fragment")
	ErrBadSession  = errors.New("console: session_ttl must not be negative")
	ErrBadClient   = errors.New("console: every listed client needs an id")
)

// withDefaults fills the defaults.
func (c Config) withDefaults() Config {
	c.Resource = strings.TrimRight(c.Resource, "/")
	if c.Scope == "" {
		c.Scope = DefaultScope
	}
	if c.ClientID == "" && c.Resource != "" {
		c.ClientID = c.Resource + ClientMetadataPath[len(Path):]
	}
	if c.JaegerUIURL == "" {
		c.JaegerUIURL = c.JaegerURL
	}
	c.JaegerURL, c.JaegerUIURL = strings.TrimRight(c.JaegerURL, "/"), strings.TrimRight(c.JaegerUIURL, "/")
	if c.Service == "" {
		c.Service = "tracegate"
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = time.Hour
	}
	return c
}

// Validate checks an enabled configuration. An empty Resource is allowed
// here (the gateway derives it from its own resource); [New] requires one.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if u, err := url.Parse(c.Resource); c.Resource != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" || u.RawQuery != "" || u.Fragment != "") {
		errs = append(errs, fmt.Errorf("%w: %q", ErrBadResource, c.Resource))
	}
	if c.SessionTTL < 0 {
		errs = append(errs, ErrBadSession)
	}
	for _, cl := range c.Clients {
		if cl.ID == "" {
			errs = append(errs, ErrBadClient)
		}
	}
	return errors.Join(errs...)
}
