package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/audit"
)

// serveFlags are `tracegate serve`'s flags. Each has an environment
// variable; a flag given on the command line wins over the environment,
// which wins over the --config file.
type serveFlags struct {
	addr, config, registry, registryAddr        string
	stdio, anonymous                            bool
	authIssuer, authJWKS, authResource          string
	auditFile, auditMode, auditKey, identityKey string
	auditMACKey                                 string
	stdioToken, redisURL, allowedOrigin         string
	redisFailOpen, console                      bool
	consoleResource, consoleJaeger, consoleUI   string
	replicaID, sessionKey, sessionPrevKey       string
	allowLocalLimits                            bool
	replicas                                    int
	drainDelay                                  time.Duration
	set                                         map[string]bool
}

func parseServeFlags(args []string, stderr io.Writer) (*serveFlags, error) {
	f := &serveFlags{set: map[string]bool{}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, env, def, usage string) {
		if v := os.Getenv(env); v != "" {
			def = v
			f.set[name] = true
		}
		fs.StringVar(p, name, def, usage+" (env "+env+")")
	}
	boolean := func(p *bool, name, env, usage string) {
		def := os.Getenv(env) == "true" || os.Getenv(env) == "1"
		f.set[name] = f.set[name] || def
		fs.BoolVar(p, name, def, usage+" (env "+env+")")
	}
	str(&f.addr, "addr", "TRACEGATE_ADDR", "127.0.0.1:8080", "HTTP listen address; MCP is served at /mcp")
	str(&f.config, "config", "TRACEGATE_CONFIG", "", "YAML configuration file (see README: configuration reference)")
	str(&f.registry, "registry", "MICRO_REGISTRY", "mdns", "go-micro registry: memory, mdns, nats, etcd, consul")
	str(&f.registryAddr, "registry_address", "MICRO_REGISTRY_ADDRESS", "", "registry addresses, comma-separated")
	boolean(&f.stdio, "stdio", "TRACEGATE_STDIO", "serve MCP on stdin/stdout instead of HTTP")
	boolean(&f.anonymous, "anonymous", "TRACEGATE_ANONYMOUS", "accept calls without a token (local development only)")
	str(&f.authIssuer, "auth-issuer", "TRACEGATE_AUTH_ISSUER", "", "OAuth issuer; its RFC 8414 metadata names the JWKS")
	str(&f.authJWKS, "auth-jwks-url", "TRACEGATE_AUTH_JWKS_URL", "", "JWKS URL (instead of discovery)")
	str(&f.authResource, "auth-resource", "TRACEGATE_AUTH_RESOURCE", "", "this gateway's resource URI: tokens' audience, e.g. https://mcp.example.com/mcp")
	str(&f.auditFile, "audit-file", "TRACEGATE_AUDIT_FILE", "", "hash-chained audit log file (JSON Lines)")
	str(&f.auditMode, "audit-mode", "TRACEGATE_AUDIT_MODE", "", "audit durability: strict, blocking (default) or batch")
	str(&f.auditKey, "audit-key", "TRACEGATE_AUDIT_KEY", "", "Ed25519 private key (PEM) signing audit checkpoints")
	str(&f.auditMACKey, "audit-mac-key", audit.EnvMACKey, "", "secret file keying the audit chain (HMAC-SHA256; tracegate keygen --mac-out)")
	str(&f.identityKey, "identity-key", "TRACEGATE_IDENTITY_KEY", "", "Ed25519 private key (PEM) signing downstream identities (default: generated)")
	str(&f.stdioToken, "stdio-token", "TRACEGATE_STDIO_TOKEN", "", "bearer token of the stdio client")
	str(&f.redisURL, "redis", "TRACEGATE_REDIS_URL", "", "Redis URL for rate limits shared by replicas, e.g. redis://127.0.0.1:6379/0")
	boolean(&f.redisFailOpen, "redis-fail-open", "TRACEGATE_REDIS_FAIL_OPEN", "allow calls when Redis is unreachable (default: refuse)")
	boolean(&f.console, "console", "TRACEGATE_CONSOLE", "serve the operator console at /console (operators sign in with the --auth-issuer)")
	str(&f.consoleResource, "console-resource", "TRACEGATE_CONSOLE_RESOURCE", "", "the console's resource URI, its tokens' audience (default: the --auth-resource origin + /console)")
	str(&f.consoleJaeger, "console-jaeger-url", "TRACEGATE_CONSOLE_JAEGER_URL", "", "Jaeger query URL for the console's message views and audit search")
	str(&f.consoleUI, "console-jaeger-ui-url", "TRACEGATE_CONSOLE_JAEGER_UI_URL", "", "Jaeger UI URL the console links to (<url>/trace/<id>), or a URL with {trace_id}, e.g. http://127.0.0.1:16686/api/v3/traces/{trace_id} for the local Jaeger build, whose UI is a placeholder (default: --console-jaeger-url)")
	str(&f.allowedOrigin, "allowed-origin", "TRACEGATE_ALLOWED_ORIGIN", "", "browser Origin allowed to call /mcp")
	var replicas, drain string
	str(&replicas, "replicas", "TRACEGATE_REPLICAS", "1", "how many gateway replicas serve behind one load balancer (docs/replicas.md)")
	str(&f.replicaID, "replica-id", "TRACEGATE_REPLICA_ID", "", "this replica's id: names its audit file, checkpoint spans and service.instance.id")
	str(&f.sessionKey, "session-key", "TRACEGATE_SESSION_KEY", "", "file with the secret sealing 2025-11-25 session ids, shared by the replicas (tracegate keygen --session-key-out)")
	str(&f.sessionPrevKey, "session-previous-key", "TRACEGATE_SESSION_PREVIOUS_KEY", "", "the session key before the last rotation, accepted for one session lifetime")
	boolean(&f.allowLocalLimits, "allow-local-limits", "TRACEGATE_ALLOW_LOCAL_LIMITS", "with --replicas > 1 and no --redis, run anyway with each replica's own limits and session table")
	str(&drain, "drain-delay", "TRACEGATE_DRAIN_DELAY", "0s", "on SIGTERM, answer /readyz with 503 this long before closing the listener")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	var err error
	if f.replicas, err = strconv.Atoi(replicas); err != nil {
		fmt.Fprintf(stderr, "invalid value %q for --replicas: %v\n", replicas, err)
		return nil, err
	}
	if f.drainDelay, err = time.ParseDuration(drain); err != nil {
		fmt.Fprintf(stderr, "invalid value %q for --drain-delay: %v\n", drain, err)
		return nil, err
	}
	return f, nil
}

// gatewayConfig is the --config file (or defaults) with the flags applied.
func (f *serveFlags) gatewayConfig() (gateway.Config, error) {
	cfg := gateway.DefaultConfig()
	if f.config != "" {
		c, err := gateway.LoadConfig(f.config)
		if err != nil {
			return cfg, err
		}
		cfg = c
	}
	a := &cfg.Auth
	apply := map[string]func(){
		"anonymous":             func() { a.Anonymous = f.anonymous },
		"auth-issuer":           func() { a.Issuer = f.authIssuer },
		"auth-jwks-url":         func() { a.JWKSURL = f.authJWKS },
		"auth-resource":         func() { a.Resource = f.authResource },
		"audit-file":            func() { cfg.Audit.File.Path = f.auditFile },
		"audit-mode":            func() { cfg.Audit.Mode = audit.Mode(f.auditMode) },
		"audit-key":             func() { cfg.Audit.File.SigningKeyFile = f.auditKey },
		"audit-mac-key":         func() { cfg.Audit.MACKeyFile = f.auditMACKey },
		"identity-key":          func() { cfg.Identity.KeyFile = f.identityKey },
		"allowed-origin":        func() { cfg.AllowedOrigins = append(cfg.AllowedOrigins, f.allowedOrigin) },
		"console":               func() { cfg.Console.Enabled = f.console },
		"console-resource":      func() { cfg.Console.Resource = f.consoleResource },
		"console-jaeger-url":    func() { cfg.Console.JaegerURL = f.consoleJaeger },
		"console-jaeger-ui-url": func() { cfg.Console.JaegerUIURL = f.consoleUI },
		"replicas":              func() { cfg.Replicas = f.replicas },
		"replica-id":            func() { cfg.ReplicaID = f.replicaID },
		"drain-delay":           func() { cfg.DrainDelay = f.drainDelay },
		"session-key":           func() { cfg.Sessions.KeyFile = f.sessionKey },
		"session-previous-key":  func() { cfg.Sessions.PreviousKeyFile = f.sessionPrevKey },
	}
	for name, fn := range apply {
		if f.set[name] {
			fn()
		}
	}
	return cfg, cfg.Validate()
}
