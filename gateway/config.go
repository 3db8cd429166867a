package gateway

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
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
	// MaxInflightBytes caps the bytes of request bodies and of what they
	// decode into (estimated from their structure) held at once (64 MiB);
	// over it a request is refused with 503 and Retry-After, and a single
	// message whose decoded size exceeds a principal's share with 413.
	MaxInflightBytes int64 `yaml:"max_inflight_bytes"`
	// MaxInflightBytesPerPrincipal caps one caller's share of it
	// (MaxInflightBytes/8, at least MaxBodyBytes), so that one caller
	// holding bodies open cannot starve the others.
	MaxInflightBytesPerPrincipal int64 `yaml:"max_inflight_bytes_per_principal"`
	// MaxJSONDepth caps the nesting of a message (64).
	MaxJSONDepth int `yaml:"max_json_depth"`
	// Sessions bounds 2025-11-25 sessions: idle expiry, lifetime, caps and
	// the key that seals session ids.
	Sessions SessionConfig `yaml:"sessions"`
	// Replicas is how many gateways serve behind one load balancer (1).
	// With more than one, ReplicaID and Sessions.KeyFile are required, and
	// limits and sessions belong in a shared store (Options.Limiter,
	// Options.SessionStore); see docs/replicas.md. Policy is then
	// distributed as configuration: the console shows it read-only and each
	// replica reloads its own file.
	Replicas int `yaml:"replicas"`
	// ReplicaID names this replica (configuration, not a host name):
	// letters, digits, '_', '.', '-', at most 63. It names the audit file
	// ({replica} in audit.file.path, else audit.<id>.jsonl beside the
	// configured name), the checkpoint spans (audit.file.replica_id) and
	// the process (service.instance.id).
	ReplicaID string `yaml:"replica_id"`
	// DrainDelay is how long, on shutdown, /readyz answers 503 and requests
	// are still served before the listener closes, so a load balancer's
	// health check takes the replica out of rotation first (0: none).
	DrainDelay time.Duration `yaml:"drain_delay"`
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
	// Console configures the operator console at /console (off by
	// default; see package console).
	Console console.Config `yaml:"console"`
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
	ErrReplicaID        = errors.New("gateway: replica_id must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, and is required with replicas > 1")
	ErrReplicaKey       = errors.New("gateway: replicas > 1 need sessions.key_file, the session key all replicas share")
)

var replicaIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

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
		Sessions:                 SessionConfig{IdleTimeout: 30 * time.Minute, MaxLifetime: 24 * time.Hour, MaxPerSubject: 100, MaxTotal: 10000},
		Replicas:                 1,
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
	if c.MaxInflightBytesPerPrincipal == 0 {
		c.MaxInflightBytesPerPrincipal = max(c.MaxInflightBytes/8, c.MaxBodyBytes)
	}
	if c.MaxJSONDepth == 0 {
		c.MaxJSONDepth = d.MaxJSONDepth
	}
	if s := &c.Sessions; s.IdleTimeout == 0 && s.MaxLifetime == 0 && s.MaxPerSubject == 0 && s.MaxTotal == 0 {
		s.IdleTimeout, s.MaxLifetime, s.MaxPerSubject, s.MaxTotal = d.Sessions.IdleTimeout, d.Sessions.MaxLifetime, d.Sessions.MaxPerSubject, d.Sessions.MaxTotal
	}
	if c.Replicas == 0 {
		c.Replicas = d.Replicas
	}
	if c.ReplicaID != "" && c.Audit.File.ReplicaID == "" {
		c.Audit.File.ReplicaID = c.ReplicaID
	}
	c.Audit.File.Path = ReplicaAuditPath(c.Audit.File.Path, c.ReplicaID)
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
		c.MaxInflightBytes < 0 || c.MaxInflightBytesPerPrincipal < 0 || c.MaxJSONDepth < 0 || c.UnauthenticatedAuditRate < 0 || c.Baggage.MaxBytes < 0 || c.Replicas < 0 {
		errs = append(errs, ErrNegative)
	}
	if s := c.Sessions; s.IdleTimeout < 0 || s.MaxLifetime < 0 || s.MaxPerSubject < 0 || s.MaxTotal < 0 || s.MaxResident < 0 {
		errs = append(errs, ErrBadSessions)
	}
	if c.Replicas < 0 || c.DrainDelay < 0 {
		errs = append(errs, fmt.Errorf("%w: replicas, drain_delay", ErrNegative))
	}
	if (c.ReplicaID != "" || c.Replicas > 1) && !replicaIDRE.MatchString(c.ReplicaID) {
		errs = append(errs, fmt.Errorf("%w: %q", ErrReplicaID, c.ReplicaID))
	}
	if c.Replicas > 1 && c.Sessions.KeyFile == "" {
		errs = append(errs, ErrReplicaKey)
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
	if err := c.consoleConfig().Validate(); err != nil {
		errs = append(errs, err)
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
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("gateway: config: %w", err)
	}
	c, err := parseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("gateway: config %s: %w", path, err)
	}
	return c, nil
}

// replicaPlaceholder in audit.file.path is replaced by the replica id.
const replicaPlaceholder = "{replica}"

// ReplicaAuditPath is the audit file of replica id for the configured path:
// {replica} replaced by id, else ".<id>" inserted before the extension
// (/var/log/tracegate/audit.jsonl -> audit.r1.jsonl), so replicas sharing a
// directory keep apart chains whose rotated segments
// (audit.r1-000001.jsonl) never collide. An empty path stays empty; a path
// already naming id is returned unchanged; without an id, {replica} is
// audit.DefaultReplicaID.
func ReplicaAuditPath(path, id string) string {
	if strings.Contains(path, replicaPlaceholder) {
		if id == "" {
			id = audit.DefaultReplicaID
		}
		return strings.ReplaceAll(path, replicaPlaceholder, id)
	}
	if path == "" || id == "" {
		return path
	}
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	if strings.HasSuffix(stem, "."+id) {
		return path
	}
	return stem + "." + id + ext
}
