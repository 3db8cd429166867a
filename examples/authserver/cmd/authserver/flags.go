package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/tracegate/tracegate/examples/authserver"
)

// defaultAddr is where the server listens unless --addr says otherwise.
const defaultAddr = "127.0.0.1:9090"

// flags are the settings of a serving authserver.
type flags struct {
	Addr       string
	Issuer     string
	Audience   string
	Resources  string
	Clients    string
	User       string
	UserScopes string
	TokenTTL   time.Duration
	KeyFile    string
}

// parseFlags reads args with defaults from AUTHSERVER_* (through getenv).
func parseFlags(args []string, getenv func(string) string, usage io.Writer) (flags, error) {
	def := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	ttl := authserver.DefaultTokenLifetime
	if v := getenv("AUTHSERVER_TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return flags{}, fmt.Errorf("AUTHSERVER_TOKEN_TTL: %w", err)
		}
		ttl = d
	}
	var f flags
	fs := flag.NewFlagSet("authserver", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Usage = func() {
		fmt.Fprintln(usage, "authserver: a DEV-ONLY OAuth 2.1 authorization server for the tracegate demo (client_credentials;")
		fmt.Fprintln(usage, "authorization code + PKCE with a consent page for MCP clients that register via a client metadata document or RFC 7591; JWT access tokens).")
		fmt.Fprintln(usage, "usage: authserver [flags] | authserver healthcheck [--url URL]")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.Addr, "addr", def("AUTHSERVER_ADDR", defaultAddr), "listen address (env AUTHSERVER_ADDR)")
	fs.StringVar(&f.Issuer, "issuer", getenv("AUTHSERVER_ISSUER"),
		"issuer URL: the tokens' iss and the base of the metadata URLs (env AUTHSERVER_ISSUER; default http://<addr>, 127.0.0.1 for a wildcard host)")
	fs.StringVar(&f.Audience, "audience", def("AUTHSERVER_AUDIENCE", authserver.DefaultAudience),
		"the gateway's resource URI, the tokens' aud (env AUTHSERVER_AUDIENCE)")
	fs.StringVar(&f.Resources, "resources", getenv("AUTHSERVER_RESOURCES"),
		"further resources and the only scopes their tokens may carry: 'URI=scope1,scope2;URI2=scope3', e.g. the tracegate console 'http://127.0.0.1:8080/console=tracegate:admin' (env AUTHSERVER_RESOURCES)")
	fs.StringVar(&f.Clients, "clients", getenv("AUTHSERVER_CLIENTS"),
		"clients: 'id:secret:scope1,scope2;id2:...', or @file / a .yaml|.yml|.json file (env AUTHSERVER_CLIENTS; default: demo-agent and admin-agent)")
	fs.StringVar(&f.User, "user", def("AUTHSERVER_USER", authserver.DefaultUser),
		"the user signed in (without a password) on the consent page: the sub of authorization-code tokens (env AUTHSERVER_USER)")
	fs.StringVar(&f.UserScopes, "user-scopes", def("AUTHSERVER_USER_SCOPES", strings.Join(authserver.DemoUserScopes(), " ")),
		"scopes the user may grant to MCP clients on the consent page, space- or comma-separated (env AUTHSERVER_USER_SCOPES)")
	fs.DurationVar(&f.TokenTTL, "token-ttl", ttl, "access token lifetime, at most 5m (env AUTHSERVER_TOKEN_TTL)")
	fs.StringVar(&f.KeyFile, "key-file", getenv("AUTHSERVER_KEY_FILE"),
		"PEM private signing key (Ed25519, RSA or P-256; env AUTHSERVER_KEY_FILE; default: a new Ed25519 key per start)")
	if err := fs.Parse(args); err != nil {
		return flags{}, err
	}
	if fs.NArg() > 0 {
		return flags{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if f.Issuer == "" {
		f.Issuer = "http://" + loopbackFor(f.Addr)
	}
	return f, nil
}

// loopbackFor turns a listen address into one a local client can dial:
// a wildcard or empty host becomes 127.0.0.1.
func loopbackFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// config builds the server configuration.
func (f flags) config() (authserver.Config, error) {
	cfg := authserver.DefaultConfig()
	cfg.Issuer, cfg.Audience, cfg.TokenLifetime, cfg.User = f.Issuer, f.Audience, f.TokenTTL, f.User
	cfg.UserScopes = strings.FieldsFunc(f.UserScopes, func(r rune) bool { return r == ',' || r == ' ' })
	for entry := range strings.SplitSeq(f.Resources, ";") {
		uri, scopes, _ := strings.Cut(strings.TrimSpace(entry), "=")
		if uri == "" {
			continue
		}
		if cfg.Resources == nil {
			cfg.Resources = map[string][]string{}
		}
		cfg.Resources[uri] = strings.FieldsFunc(scopes, func(r rune) bool { return r == ',' || r == ' ' })
	}
	if f.Clients != "" {
		clients, err := authserver.ClientsFromFlag(f.Clients)
		if err != nil {
			return cfg, err
		}
		cfg.Clients = clients
	}
	if f.KeyFile != "" {
		key, err := authserver.LoadSigningKey(f.KeyFile)
		if err != nil {
			return cfg, err
		}
		cfg.SigningKey = key
	}
	return cfg, nil
}

// parseHealthcheck reads the healthcheck subcommand's flags.
func parseHealthcheck(args []string, usage io.Writer) (string, error) {
	fs := flag.NewFlagSet("authserver healthcheck", flag.ContinueOnError)
	fs.SetOutput(usage)
	url := fs.String("url", "http://"+defaultAddr+authserver.HealthPath, "health URL to probe")
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return *url, nil
}
