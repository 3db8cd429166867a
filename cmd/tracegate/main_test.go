package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// TestMain ignores the NATS client of the registry `serve` opens: go-micro's
// NATS registry has no Close, so its connection (reconnect loop and flusher)
// outlives the in-process serve; a real process exits with it.
func TestMain(m *testing.M) {
	microkittest.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/nats-io/nats%2ego.(*Conn).doReconnect"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats%2ego.(*Conn).flusher"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats%2ego.(*asyncCallbacksHandler).asyncCBDispatcher"),
	)
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), nil, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Fatalf("no args: %d %q", code, errb.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	if code := run(context.Background(), []string{"serve", "--registry", "memory"}, nil, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "no way to authenticate") {
		t.Fatalf("serve without auth: %d %q", code, errb.String())
	}
}

func TestKeygenAndVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"keygen", "--out", key}, nil, &out, &errb); code != 0 {
		t.Fatalf("keygen: %d %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "k.pub.pem")); err != nil {
		t.Fatal(err)
	}
	if code := run(context.Background(), []string{"audit", "verify", filepath.Join(dir, "missing.jsonl")}, nil, &out, &errb); code == 0 {
		t.Fatal("verify of a missing file succeeded")
	}
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "--url", ok.URL}, nil, io.Discard, &errb); code != 0 {
		t.Fatalf("healthy: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"healthcheck", "--url", bad.URL}, nil, io.Discard, &errb); code != 1 {
		t.Fatalf("unhealthy: %d", code)
	}
}

// TestServeStdio runs `tracegate serve --stdio` in-process against a users
// service registered in NATS, and calls a tool over the pipes.
func TestServeStdio(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	url, reg := microkittest.NATSRegistry(t)
	p, _ := e2etest.Providers(t, users.Name)
	e2etest.StartService(t, users.New, reg, p)

	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--stdio", "--anonymous", "--registry", "nats", "--registry_address", url}, sr, sw, &errb)
	}()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "stdio", Version: "1"}, nil).Connect(ctx, &mcp.IOTransport{Reader: cr, Writer: cw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var res *mcp.CallToolResult
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "users.Users.Create", Arguments: map[string]any{"name": "n", "email": "n@example.com"}})
		if err == nil && !res.IsError {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("users tools never served: %v %+v\n%s", err, res, errb.String())
		}
	}
	_ = cs.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, errb.String())
	}
}
