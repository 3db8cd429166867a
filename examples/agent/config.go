package agent

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Defaults of [DefaultConfig]: the demo's loopback topology and clients.
const (
	DefaultGatewayURL        = "http://127.0.0.1:8080/mcp"
	DefaultAuthURL           = "http://127.0.0.1:9090"
	DefaultJaegerURL         = "http://127.0.0.1:16686"
	DefaultClientID          = "demo-agent"
	DefaultClientSecret      = "demo-secret"
	DefaultAdminClientID     = "admin-agent"
	DefaultAdminClientSecret = "admin-secret"
	DefaultAgentName         = "blog-agent"
	DefaultMessage           = "Publish a post titled 'Hello MCP' as alice and add a comment"
)

// Config is what the agent needs to know; plain data (flags and env fill it).
type Config struct {
	// GatewayURL is the gateway's MCP endpoint and resource URI (the
	// token's audience), e.g. http://127.0.0.1:8080/mcp.
	GatewayURL string
	// AuthURL is the authorization server's issuer URL; its RFC 8414
	// metadata names the token endpoint.
	AuthURL string
	// TokenURL, when set, is the token endpoint to use without discovery:
	// under docker compose the agent reaches the authorization server by an
	// internal name (http://authserver:9090/token) while the issuer and the
	// metadata name the URL clients on the host use.
	TokenURL string
	// Resource, when set, is the gateway's resource URI (RFC 8707), the
	// token's audience, when it differs from GatewayURL: the canonical name
	// (http://127.0.0.1:8080/mcp) while the agent connects to an internal
	// one (http://gateway:8080/mcp).
	Resource string
	// ClientID and ClientSecret are the agent's client credentials.
	ClientID, ClientSecret string
	// AdminClientID and AdminClientSecret are used by [Agent.Setup] only.
	AdminClientID, AdminClientSecret string
	// AgentName is gen_ai.agent.name.
	AgentName string
	// ProtocolVersion forces an MCP protocol version (e.g. 2025-11-25 for
	// the session era); empty lets the SDK negotiate (2026-07-28 first).
	ProtocolVersion string
	// RecordMessage puts the user message on the root span as
	// gen_ai.input.messages (opt-in content in the GenAI conventions; the
	// demo opts in because the message is not personal data).
	RecordMessage bool
	// ToolWait bounds how long [Agent.Setup] waits for the gateway to offer
	// every tool of the plan (services register asynchronously).
	ToolWait time.Duration
}

// DefaultConfig returns the demo's configuration.
func DefaultConfig() Config {
	return Config{
		GatewayURL:        DefaultGatewayURL,
		AuthURL:           DefaultAuthURL,
		ClientID:          DefaultClientID,
		ClientSecret:      DefaultClientSecret,
		AdminClientID:     DefaultAdminClientID,
		AdminClientSecret: DefaultAdminClientSecret,
		AgentName:         DefaultAgentName,
		RecordMessage:     true,
		ToolWait:          45 * time.Second, // longer than the gateway's default registry resync (30s)
	}
}

// Configuration errors.
var (
	ErrBadURL         = errors.New("agent: URL must be absolute http(s)")
	ErrNoCredentials  = errors.New("agent: client id and secret are required")
	ErrNoAgentName    = errors.New("agent: agent name is required")
	ErrNegativeWait   = errors.New("agent: tool wait must not be negative")
	ErrNoAdminForSeed = errors.New("agent: setup needs the admin client id and secret")
)

// Validate reports every configuration error, joined.
func (c Config) Validate() error {
	var errs []error
	for name, v := range map[string]string{"gateway": c.GatewayURL, "auth": c.AuthURL} {
		if err := checkURL(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	for name, v := range map[string]string{"token URL": c.TokenURL, "resource": c.Resource} {
		if v == "" {
			continue
		}
		if err := checkURL(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		errs = append(errs, ErrNoCredentials)
	}
	if c.AgentName == "" {
		errs = append(errs, ErrNoAgentName)
	}
	if c.ToolWait < 0 {
		errs = append(errs, ErrNegativeWait)
	}
	return errors.Join(errs...)
}

// resource is the token's audience: Resource, else GatewayURL.
func (c Config) resource() string {
	if c.Resource != "" {
		return c.Resource
	}
	return c.GatewayURL
}

func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrBadURL, v)
	}
	return nil
}
