package main

import (
	"io"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/agent"
)

func TestFlagsFromEnvAndArgs(t *testing.T) {
	env := map[string]string{
		"TRACEGATE_URL":      "http://gateway:8080/mcp",
		"AUTH_URL":           "http://authserver:9090",
		"AUTH_CLIENT_ID":     "env-agent",
		"AUTH_CLIENT_SECRET": "env-secret",
		"JAEGER_URL":         "http://jaeger:16686",
		"AGENT_SETUP":        "false",
		"TRACEGATE_RESOURCE": "http://127.0.0.1:8080/mcp",
		"AUTH_TOKEN_URL":     "http://authserver:9090/token",
	}
	f, err := parseFlags([]string{"--client-id", "flag-agent", "--message", "hi"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.cfg.GatewayURL != "http://gateway:8080/mcp" || f.cfg.AuthURL != "http://authserver:9090" ||
		f.cfg.ClientID != "flag-agent" || f.cfg.ClientSecret != "env-secret" || f.jaeger != "http://jaeger:16686" ||
		f.message != "hi" || f.setup || f.cfg.Resource != "http://127.0.0.1:8080/mcp" || f.cfg.TokenURL != "http://authserver:9090/token" {
		t.Errorf("flags %+v", f)
	}
	for _, bad := range [][]string{{"--token-url", "authserver:9090/token"}, {"--resource", "ftp://x/mcp"}} {
		if _, err := parseFlags(bad, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestFlagDefaults(t *testing.T) {
	f, err := parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d := agent.DefaultConfig()
	if f.cfg != d || f.message != agent.DefaultMessage || f.jaeger != agent.DefaultJaegerURL || !f.setup || f.jaegerWait != time.Minute {
		t.Errorf("defaults %+v", f)
	}
	if _, err := parseFlags([]string{"--gateway", "ftp://x"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("a non-http gateway URL was accepted")
	}
}
