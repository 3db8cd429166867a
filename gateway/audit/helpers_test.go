package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tracegate/tracegate/gateway/reason"
)

// testMACKey keys the chains tests write (as `tracegate keygen --mac-out`
// would: 64 hex characters).
var testMACKey = []byte("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")

func newKey(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// memSink keeps every record it is given.
type memSink struct {
	mu   sync.Mutex
	recs []Record
}

func (m *memSink) Write(_ context.Context, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func (m *memSink) all() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs...)
}

// fakeEmitter captures events.
type fakeEmitter struct {
	mu     sync.Mutex
	events []map[string]attribute.Value
}

func (f *fakeEmitter) Emit(_ context.Context, name string, attrs ...attribute.KeyValue) {
	m := map[string]attribute.Value{"event": attribute.StringValue(name)}
	for _, a := range attrs {
		m[string(a.Key)] = a.Value
	}
	f.mu.Lock()
	f.events = append(f.events, m)
	f.mu.Unlock()
}

func callFields(i int) Fields {
	return Fields{
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		Transport: "http", ProtocolVersion: "2025-11-25", JSONRPCID: "7",
		Tool: "posts.Posts.Create", Service: "posts", Endpoint: "Posts.Create",
		Subject: "alice", Client: "agent", IntentID: "msg-1",
		RequiredScopes: []string{"posts:write"}, GrantedScopes: []string{"posts:write", "posts:read"},
		ScopeSource: "service", Decision: Allow, Reason: reason.Granted, RateLimit: "allowed",
		Arguments: []byte(`{"title": "hello", "n": ` + strings.Repeat("1", i%5+1) + `}`),
	}
}

// writeLog writes n calls with a file sink in dir and closes the recorder.
func writeLog(t testing.TB, dir string, n int, cfg Config, key ed25519.PrivateKey) string {
	t.Helper()
	cfg.File.Path = filepath.Join(dir, "audit.jsonl")
	r, err := New(cfg, WithFileOptions(WithSigningKey(key), WithMACKey(testMACKey)), WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		c, err := r.Begin(ctx, callFields(i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.End(ctx, Completion{Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return cfg.File.Path
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(string(b), "\n")
}

func writeLines(t testing.TB, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// discard is a Logger that drops everything.
type discard struct{}

func (discard) Printf(string, ...any) {}

// logBuf is a Logger that keeps every line.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) Printf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, v...))
}

func (l *logBuf) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

type nopEmitter struct{}

func (nopEmitter) Emit(context.Context, string, ...attribute.KeyValue) {}
