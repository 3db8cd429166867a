package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/authserver"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want flags
	}{
		{"defaults", nil, nil, flags{Addr: "127.0.0.1:9090", Issuer: "http://127.0.0.1:9090",
			Audience: "http://127.0.0.1:8080/mcp", User: "demo-user", UserScopes: "blog:read blog:write", TokenTTL: 5 * time.Minute}},
		{"issuer follows a wildcard addr", []string{"--addr", "0.0.0.0:9191"}, nil, flags{Addr: "0.0.0.0:9191",
			Issuer: "http://127.0.0.1:9191", Audience: "http://127.0.0.1:8080/mcp", User: "demo-user", UserScopes: "blog:read blog:write",
			TokenTTL: 5 * time.Minute}},
		{"env", nil, map[string]string{
			"AUTHSERVER_ADDR": "0.0.0.0:9090", "AUTHSERVER_ISSUER": "http://authserver:9090",
			"AUTHSERVER_AUDIENCE": "http://gateway:8080/mcp", "AUTHSERVER_CLIENTS": "a:b:c",
			"AUTHSERVER_TOKEN_TTL": "2m", "AUTHSERVER_KEY_FILE": "/k.pem", "AUTHSERVER_USER": "alice", "AUTHSERVER_USER_SCOPES": "blog:read",
		}, flags{Addr: "0.0.0.0:9090", Issuer: "http://authserver:9090", Audience: "http://gateway:8080/mcp",
			Clients: "a:b:c", User: "alice", UserScopes: "blog:read", TokenTTL: 2 * time.Minute, KeyFile: "/k.pem"}},
		{"flags beat env", []string{"--issuer=http://x:1", "--token-ttl", "30s", "--clients", "@c.yaml"},
			map[string]string{"AUTHSERVER_ISSUER": "http://authserver:9090", "AUTHSERVER_TOKEN_TTL": "2m"},
			flags{Addr: "127.0.0.1:9090", Issuer: "http://x:1", Audience: "http://127.0.0.1:8080/mcp",
				Clients: "@c.yaml", User: "demo-user", UserScopes: "blog:read blog:write", TokenTTL: 30 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlags(tc.args, env(tc.env), io.Discard)
			if err != nil || got != tc.want {
				t.Fatalf("parseFlags = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	var usage bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, env(nil), &usage); !errors.Is(err, flag.ErrHelp) || !strings.Contains(usage.String(), "DEV-ONLY") {
		t.Errorf("-h: %v; usage %q", err, usage.String())
	}
	if _, err := parseFlags([]string{"extra"}, env(nil), io.Discard); err == nil {
		t.Error("positional argument: want error")
	}
	if _, err := parseFlags(nil, env(map[string]string{"AUTHSERVER_TOKEN_TTL": "soon"}), io.Discard); err == nil {
		t.Error("bad AUTHSERVER_TOKEN_TTL: want error")
	}
	f, _ := parseFlags([]string{"--clients", "nosecret"}, env(nil), io.Discard)
	if _, err := f.config(); !errors.Is(err, authserver.ErrInvalidClient) {
		t.Errorf("config with bad clients: %v", err)
	}
	f, _ = parseFlags([]string{"--user", "two words"}, env(nil), io.Discard)
	if cfg, err := f.config(); err != nil || cfg.Validate() == nil {
		t.Errorf("a user with a space: config %v, Validate nil", err)
	}
	f, _ = parseFlags([]string{"--key-file", "/nonexistent/key.pem"}, env(nil), io.Discard)
	if _, err := f.config(); !errors.Is(err, authserver.ErrInvalidKey) {
		t.Errorf("config with missing key: %v", err)
	}
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	if err := run([]string{"healthcheck", "--url", ok.URL}); err != nil {
		t.Errorf("healthy: %v", err)
	}
	if err := run([]string{"healthcheck", "--url", down.URL}); err == nil {
		t.Error("503: want error")
	}
	if u, err := parseHealthcheck(nil, io.Discard); err != nil || u != "http://127.0.0.1:9090/healthz" {
		t.Errorf("default url %q, %v", u, err)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeAnnouncesAndStops(t *testing.T) {
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		t.Setenv(k, "none")
	}
	f, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--issuer", "http://authserver:9090"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, f, &log) }()

	addrRE := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(5 * time.Second); addr == ""; time.Sleep(10 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(log.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no serving line; log: %s", log.String())
		}
	}
	if err := probe(context.Background(), "http://"+addr+authserver.HealthPath); err != nil {
		t.Errorf("probe: %v", err)
	}
	res, err := http.PostForm("http://"+addr+authserver.TokenPath, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"demo-agent"}, "client_secret": {"demo-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("token: %s", res.Status)
	}
	http.DefaultClient.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve = %v", err)
	}
	l := log.String()
	for _, want := range []string{"DEV ONLY", "issuer=http://authserver:9090", "client_id=demo-agent", "client_secret=demo-secret",
		"client_id=admin-agent", `msg="token issued"`, "stopping"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
}

func TestServeDoesNotPrintConfiguredSecrets(t *testing.T) {
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		t.Setenv(k, "none")
	}
	f, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--clients", "svc:hunter2:blog:read"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve announces, then stops at once
	if err := serve(ctx, f, &log); err != nil {
		t.Fatal(err)
	}
	if l := log.String(); strings.Contains(l, "hunter2") || !strings.Contains(l, "client_id=svc") {
		t.Errorf("log:\n%s", l)
	}
}
