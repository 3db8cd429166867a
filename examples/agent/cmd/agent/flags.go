package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/tracegate/tracegate/examples/agent"
)

// flags are the agent's settings; each has an environment default.
type flags struct {
	cfg        agent.Config
	message    string
	messageID  string
	jaeger     string
	jaegerUI   string
	jaegerWait time.Duration
	setup      bool
}

// parseFlags reads args with defaults from the environment (through
// getenv): TRACEGATE_URL, TRACEGATE_RESOURCE, AUTH_URL, AUTH_TOKEN_URL, AUTH_CLIENT_ID, AUTH_CLIENT_SECRET,
// AUTH_ADMIN_CLIENT_ID, AUTH_ADMIN_CLIENT_SECRET, JAEGER_URL, JAEGER_UI_URL,
// AGENT_MESSAGE, AGENT_MESSAGE_ID, AGENT_SETUP, MCP_PROTOCOL_VERSION.
func parseFlags(args []string, getenv func(string) string, usage io.Writer) (flags, error) {
	def := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	setup := true
	if v := getenv("AGENT_SETUP"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return flags{}, fmt.Errorf("AGENT_SETUP: %w", err)
		}
		setup = b
	}
	d := agent.DefaultConfig()
	var f flags
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Usage = func() {
		fmt.Fprintln(usage, "agent: plays an AI agent for one user message against a tracegate gateway and prints the message's trace.")
		fmt.Fprintln(usage, "usage: agent [flags]")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.cfg.GatewayURL, "gateway", def("TRACEGATE_URL", d.GatewayURL), "gateway MCP endpoint, also the token's resource (env TRACEGATE_URL)")
	fs.StringVar(&f.cfg.AuthURL, "auth", def("AUTH_URL", d.AuthURL), "authorization server issuer URL; RFC 8414 metadata names the token endpoint (env AUTH_URL)")
	fs.StringVar(&f.cfg.Resource, "resource", getenv("TRACEGATE_RESOURCE"),
		"the gateway's resource URI, the token's audience, when it differs from --gateway (env TRACEGATE_RESOURCE; default: --gateway)")
	fs.StringVar(&f.cfg.TokenURL, "token-url", getenv("AUTH_TOKEN_URL"),
		"token endpoint to use without RFC 8414 discovery, e.g. an internal URL under compose (env AUTH_TOKEN_URL)")
	fs.StringVar(&f.cfg.ClientID, "client-id", def("AUTH_CLIENT_ID", d.ClientID), "the agent's OAuth client id (env AUTH_CLIENT_ID)")
	fs.StringVar(&f.cfg.ClientSecret, "client-secret", def("AUTH_CLIENT_SECRET", d.ClientSecret), "the agent's OAuth client secret (env AUTH_CLIENT_SECRET)")
	fs.StringVar(&f.cfg.AdminClientID, "admin-client-id", def("AUTH_ADMIN_CLIENT_ID", d.AdminClientID), "admin client for --setup (env AUTH_ADMIN_CLIENT_ID)")
	fs.StringVar(&f.cfg.AdminClientSecret, "admin-client-secret", def("AUTH_ADMIN_CLIENT_SECRET", d.AdminClientSecret), "admin client secret for --setup (env AUTH_ADMIN_CLIENT_SECRET)")
	fs.StringVar(&f.cfg.AgentName, "agent-name", d.AgentName, "gen_ai.agent.name")
	fs.StringVar(&f.cfg.ProtocolVersion, "protocol-version", getenv("MCP_PROTOCOL_VERSION"), "force an MCP protocol version, e.g. 2025-11-25 (env MCP_PROTOCOL_VERSION; default: negotiate)")
	fs.DurationVar(&f.cfg.ToolWait, "tool-wait", d.ToolWait, "how long --setup waits for the gateway to offer the plan's tools")
	fs.BoolVar(&f.cfg.RecordMessage, "record-message", d.RecordMessage, "record the user message on the root span (gen_ai.input.messages)")
	fs.StringVar(&f.message, "message", def("AGENT_MESSAGE", agent.DefaultMessage), "the user message (env AGENT_MESSAGE)")
	fs.StringVar(&f.messageID, "message-id", getenv("AGENT_MESSAGE_ID"), "the message id, i.e. the intent id (env AGENT_MESSAGE_ID; default: generated)")
	fs.StringVar(&f.jaeger, "jaeger", def("JAEGER_URL", agent.DefaultJaegerURL), "Jaeger query URL for the trace link and tree; empty: skip (env JAEGER_URL)")
	fs.StringVar(&f.jaegerUI, "jaeger-ui", getenv("JAEGER_UI_URL"), "where the printed trace link points: the Jaeger UI's base URL when it differs from --jaeger, e.g. http://127.0.0.1:16686 under compose, "+
		"or a URL with {trace_id}, e.g. http://127.0.0.1:16686/api/v3/traces/{trace_id} for the local Jaeger build, whose UI is a placeholder (env JAEGER_UI_URL; default: --jaeger)")
	fs.DurationVar(&f.jaegerWait, "jaeger-wait", 60*time.Second, "how long to wait for Jaeger to hold the whole trace")
	fs.BoolVar(&f.setup, "setup", setup, "first create the message's user with the admin client, in a trace of its own (env AGENT_SETUP)")
	if err := fs.Parse(args); err != nil {
		return flags{}, err
	}
	if fs.NArg() > 0 {
		return flags{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if f.jaegerUI == "" {
		f.jaegerUI = f.jaeger
	}
	return f, f.cfg.Validate()
}
