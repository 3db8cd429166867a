package gateway

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/policy"
)

// TrustPolicy says what the gateway does with a trace context a client sends.
type TrustPolicy string

// Trust policies. Parent (the default) continues the client's trace, which is
// what makes one user message one trace; Link starts a new trace linked to
// the client's, for clients whose ids must not steer the gateway's traces;
// Ignore drops it.
const (
	TrustParent TrustPolicy = "parent"
	TrustLink   TrustPolicy = "link"
	TrustIgnore TrustPolicy = "ignore"
)

// Config is the gateway configuration that is plain data (YAML).
type Config struct {
	// Tools configures tools by their canonical name <service>.<Endpoint>.
	Tools map[string]ToolConfig `yaml:"tools"`
	// ToolNameStyle is how tools are named at the MCP boundary: dotted
	// (posts.Posts.Create, the default) or underscore (posts_Posts_Create)
	// for clients that accept only ^[a-zA-Z0-9_-]{1,64}$. Renames in Tools
	// win; two tools mapping to one name stop the gateway at start.
	ToolNameStyle string `yaml:"tool_name_style"`
	// Timeout bounds each dispatched call unless a tool sets its own (30s).
	Timeout time.Duration `yaml:"timeout"`
	// Trust is the policy for client trace context (parent).
	Trust TrustPolicy `yaml:"trust"`
	// RecordArguments and RecordResults put tool arguments/results on spans,
	// capped at RecordLimit bytes (64 KiB). Off by default: they may hold
	// personal data.
	RecordArguments bool `yaml:"record_arguments"`
	RecordResults   bool `yaml:"record_results"`
	RecordLimit     int  `yaml:"record_limit"`
	// MaxBodyBytes caps an HTTP request body (1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxInflightBytes caps the bytes of request bodies (and of the copies
	// argument validation makes) held at once (64 MiB); over it a request
	// is refused with 503 and Retry-After.
	MaxInflightBytes int64 `yaml:"max_inflight_bytes"`
	// MaxJSONDepth caps the nesting of a message (64).
	MaxJSONDepth int `yaml:"max_json_depth"`
	// Sessions bounds 2025-11-25 sessions: idle expiry and caps.
	Sessions SessionConfig `yaml:"sessions"`
	// Baggage says which client baggage reaches the services (none).
	Baggage BaggageConfig `yaml:"baggage"`
	// DisableFastPath sends stateless tools/call through the MCP SDK's
	// handler instead of the gateway's fast path (same answers, slower).
	DisableFastPath bool `yaml:"disable_fast_path"`
	// UnauthenticatedAuditRate is how many refusals before authentication
	// per second and client address get an audit record of their own (5);
	// the rest are counted into one gap record per address and second.
	UnauthenticatedAuditRate float64 `yaml:"unauthenticated_audit_rate"`
	// AllowedOrigins lists the browser origins accepted in an Origin header;
	// requests with any other Origin are refused (DNS-rebinding protection).
	// Requests without Origin (non-browser clients) are accepted.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// ResyncInterval re-reads the whole registry this often, in case a watch
	// event was missed (30s).
	ResyncInterval time.Duration `yaml:"resync_interval"`

	// Auth says how callers are authenticated.
	Auth AuthConfig `yaml:"auth"`
	// Policy holds scope overrides and rate limits.
	Policy policy.Config `yaml:"policy"`
	// Identity configures the downstream identity minted for each call.
	Identity IdentityConfig `yaml:"identity"`
	// Audit configures the audit trail.
	Audit audit.Config `yaml:"audit"`
}

// AuthConfig configures the OAuth 2.1 resource server.
type AuthConfig struct {
	// Resource is this gateway's resource URI (RFC 8707), e.g.
	// https://mcp.example.com/mcp: tokens must carry it in aud, and it is
	// the resource of the RFC 9728 metadata.
	Resource string `yaml:"resource"`
	// Issuer is the authorization server; its RFC 8414 metadata names the
	// JWKS unless JWKSURL is set.
	Issuer  string `yaml:"issuer"`
	JWKSURL string `yaml:"jwks_url"`
	// AuthorizationServers are advertised in the metadata (default [Issuer]).
	AuthorizationServers []string `yaml:"authorization_servers"`
	// BaselineScopes is the scope set a 401 names (scope=) and the
	// protected resource metadata lists as scopes_supported: what a
	// least-privileged client asks for first. Tools that need more answer
	// 403 insufficient_scope with their scopes (step-up). Default: none
	// named in the 401, and every scope a tool requires in the metadata.
	BaselineScopes []string `yaml:"baseline_scopes"`
	// Algorithms allowed (default RS256, ES256, EdDSA, PS256).
	Algorithms []string `yaml:"algorithms"`
	// Leeway for exp/nbf (30s).
	Leeway time.Duration `yaml:"leeway"`
	// IntentClaim names the claim carrying the user-intent id (intent).
	IntentClaim string `yaml:"intent_claim"`
	// MaxTokenLifetime refuses access tokens living longer (exp-iat, or
	// exp-now less the leeway); 0: no maximum.
	MaxTokenLifetime time.Duration `yaml:"max_token_lifetime"`
	// RequireTyp requires the JWS typ of access tokens, e.g. "at+jwt" (RFC
	// 9068 §2.1); empty: not checked.
	RequireTyp string `yaml:"require_typ"`
	// Anonymous accepts calls without a token, as principal "anonymous".
	// For local development only: without it the gateway refuses to start
	// with no way to authenticate callers.
	Anonymous bool `yaml:"anonymous"`
}

// IdentityConfig configures the short-lived identity the gateway mints for
// each dispatched call instead of forwarding the caller's token.
type IdentityConfig struct {
	// KeyFile is a PEM Ed25519 private key; without it a key is generated
	// at start (services then must fetch it from /.well-known/tracegate/jwks.json).
	KeyFile string `yaml:"key_file"`
	// TTL is the longest an identity lives (30s, at most 60s); each one
	// lives min(TTL, the tool's timeout).
	TTL time.Duration `yaml:"ttl"`
}

// ToolConfig overrides what discovery found for one tool.
type ToolConfig struct {
	// Name is the name clients see (e.g. create_post) instead of
	// <service>.<Endpoint>.
	Name string `yaml:"name"`
	// Description replaces the service's description.
	Description string `yaml:"description"`
	// Timeout bounds the call.
	Timeout time.Duration `yaml:"timeout"`
}

// Configuration errors.
var (
	ErrBadTrust    = errors.New("gateway: trust must be parent, link or ignore")
	ErrBadToolName = errors.New("gateway: tool name must match [A-Za-z0-9_.-]{1,128}")
	ErrDupToolName = errors.New("gateway: two tools share a name")
	// ErrToolNameConflict: two discovered tools map to one display name.
	ErrToolNameConflict = errors.New("gateway: two tools map to one name")
	ErrBadNameStyle     = errors.New("gateway: tool_name_style must be dotted or underscore")
	ErrNegative         = errors.New("gateway: negative limit or duration")
	ErrBadLimit         = errors.New("gateway: max_body_bytes must not exceed max_inflight_bytes")
)

var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Timeout:                  30 * time.Second,
		Trust:                    TrustParent,
		RecordLimit:              64 << 10,
		MaxBodyBytes:             1 << 20,
		ResyncInterval:           30 * time.Second,
		MaxInflightBytes:         64 << 20,
		MaxJSONDepth:             64,
		Sessions:                 SessionConfig{IdleTimeout: 30 * time.Minute, MaxPerSubject: 100, MaxTotal: 10000},
		Baggage:                  BaggageConfig{MaxBytes: 1024},
		UnauthenticatedAuditRate: 5,
		Policy:                   policy.DefaultConfig(),
		Audit:                    audit.DefaultConfig(),
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.Trust == "" {
		c.Trust = d.Trust
	}
	if c.RecordLimit == 0 {
		c.RecordLimit = d.RecordLimit
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.ResyncInterval == 0 {
		c.ResyncInterval = d.ResyncInterval
	}
	if c.MaxInflightBytes == 0 {
		c.MaxInflightBytes = d.MaxInflightBytes
	}
	if c.MaxJSONDepth == 0 {
		c.MaxJSONDepth = d.MaxJSONDepth
	}
	if c.Sessions == (SessionConfig{}) {
		c.Sessions = d.Sessions
	}
	if c.Baggage.MaxBytes == 0 {
		c.Baggage.MaxBytes = d.Baggage.MaxBytes
	}
	if c.UnauthenticatedAuditRate == 0 {
		c.UnauthenticatedAuditRate = d.UnauthenticatedAuditRate
	}
	// A programmatic Config{} leaves policy and audit zero: fill their
	// defaults field by field, keeping what the caller did set.
	if sc := &c.Policy.Scopes; sc.Mode == "" {
		sc.Mode, sc.Wildcards = d.Policy.Scopes.Mode, d.Policy.Scopes.Wildcards
		if sc.Unscoped == "" {
			sc.Unscoped = d.Policy.Scopes.Unscoped
		}
	}
	if rl := &c.Policy.RateLimit; rl.MaxEntries == 0 && rl.IdleTTL == 0 {
		rl.MaxEntries, rl.IdleTTL = d.Policy.RateLimit.MaxEntries, d.Policy.RateLimit.IdleTTL
	}
	if a := &c.Audit; a.Mode == "" {
		a.Mode = d.Audit.Mode
		if a.File.RotateBytes == 0 {
			a.File.RotateBytes = d.Audit.File.RotateBytes
		}
		if a.File.CheckpointEvery == 0 && a.File.CheckpointInterval == 0 {
			a.File.CheckpointEvery, a.File.CheckpointInterval = d.Audit.File.CheckpointEvery, d.Audit.File.CheckpointInterval
		}
		if a.PlaintextArgsMax == 0 {
			a.PlaintextArgsMax = d.Audit.PlaintextArgsMax
		}
		if a.MethodLevel == "" {
			a.MethodLevel = d.Audit.MethodLevel
		}
		if a.QueueSize == 0 {
			a.QueueSize = d.Audit.QueueSize
		}
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	switch c.Trust {
	case "", TrustParent, TrustLink, TrustIgnore:
	default:
		errs = append(errs, fmt.Errorf("%w: %q", ErrBadTrust, c.Trust))
	}
	if c.Timeout < 0 || c.RecordLimit < 0 || c.MaxBodyBytes < 0 || c.ResyncInterval < 0 ||
		c.MaxInflightBytes < 0 || c.MaxJSONDepth < 0 || c.UnauthenticatedAuditRate < 0 || c.Baggage.MaxBytes < 0 {
		errs = append(errs, ErrNegative)
	}
	if s := c.Sessions; s.IdleTimeout < 0 || s.MaxPerSubject < 0 || s.MaxTotal < 0 {
		errs = append(errs, ErrBadSessions)
	}
	if c.MaxInflightBytes > 0 && c.MaxBodyBytes > c.MaxInflightBytes {
		errs = append(errs, fmt.Errorf("%w: %d > %d", ErrBadLimit, c.MaxBodyBytes, c.MaxInflightBytes))
	}
	if c.Identity.TTL < 0 || c.Identity.TTL > time.Minute {
		errs = append(errs, fmt.Errorf("%w: identity.ttl must be within (0, 60s]", ErrNegative))
	}
	if c.Policy.Scopes.Mode != "" {
		if err := c.Policy.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("policy: %w", err))
		}
	}
	if c.Audit.Mode != "" {
		if err := c.Audit.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("audit: %w", err))
		}
	}
	switch c.ToolNameStyle {
	case "", StyleDotted, StyleUnderscore:
	default:
		errs = append(errs, fmt.Errorf("%w: %q", ErrBadNameStyle, c.ToolNameStyle))
	}
	seen := map[string]string{}
	for canonical, tc := range c.Tools {
		if tc.Timeout < 0 {
			errs = append(errs, fmt.Errorf("%w: tools.%s.timeout", ErrNegative, canonical))
		}
		if tc.Name == "" {
			continue
		}
		if !toolNameRE.MatchString(tc.Name) || (c.ToolNameStyle == StyleUnderscore && !underscoreName.MatchString(tc.Name)) {
			errs = append(errs, fmt.Errorf("%w: tools.%s.name %q", ErrBadToolName, canonical, tc.Name))
		}
		if other, ok := seen[tc.Name]; ok {
			errs = append(errs, fmt.Errorf("%w: %q for %s and %s", ErrDupToolName, tc.Name, other, canonical))
		}
		seen[tc.Name] = canonical
	}
	return errors.Join(errs...)
}

// LoadConfig reads a YAML file over DefaultConfig and validates it. Unknown
// keys are errors, so a typo is not silently ignored.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("gateway: config: %w", err)
	}
	defer f.Close()
	c := DefaultConfig()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("gateway: config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("gateway: config %s: %w", path, err)
	}
	return c, nil
}
