package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/agent"
)

var update = flag.Bool("update", false, "rewrite testdata/trace.txt from testdata/trace.json")

// recorded is a trace of the demo as Jaeger's query API returned it
// (GET /api/traces/{id}), recorded from scripts/demo.sh.
func recorded(t *testing.T) (raw []byte, tr agent.Trace) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Data []agent.Trace }
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Data) != 1 {
		t.Fatalf("testdata/trace.json: %v (%d traces)", err, len(out.Data))
	}
	return raw, out.Data[0]
}

// TestWriteTreeGolden prints the recorded trace and compares it with
// testdata/trace.txt (go test -run Golden -update rewrites it).
func TestWriteTreeGolden(t *testing.T) {
	_, tr := recorded(t)
	var b bytes.Buffer
	agent.WriteTree(&b, tr)
	golden := filepath.Join("testdata", "trace.txt")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("tree differs from %s:\n%s", golden, got)
	}
	for _, line := range []string{
		"invoke_agent blog-agent [agent, internal,",
		"└─ posts/Posts.Create [posts, server,",
		"· tracegate.authz.decision tracegate.authz.decision=deny",
		"· tracegate.agent.challenge http.response.status_code=403 tracegate.challenge.scope=blog:admin",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("tree lacks %q", line)
		}
	}
}

func TestCompleteness(t *testing.T) {
	_, tr := recorded(t)
	if !tr.Complete() {
		t.Fatal("the recorded trace is not complete")
	}
	for _, drop := range []struct{ name, operation, kind string }{
		{"a server span (its client waits)", "posts/Posts.Create", "server"},
		{"a parent (its children dangle)", "tools/call posts.Posts.Create", "server"},
	} {
		t.Run(drop.name, func(t *testing.T) {
			cut := tr
			cut.Spans = nil
			for _, s := range tr.Spans {
				if s.OperationName == drop.operation && s.Kind() == drop.kind {
					continue
				}
				cut.Spans = append(cut.Spans, s)
			}
			if len(cut.Spans) != len(tr.Spans)-1 {
				t.Fatalf("dropped %d spans", len(tr.Spans)-len(cut.Spans))
			}
			if cut.Complete() {
				t.Error("complete without it")
			}
		})
	}
}

// fakeJaeger serves 404 first, then the recorded trace without its last
// span, then the whole trace.
func fakeJaeger(t *testing.T, raw []byte, tr agent.Trace) *httptest.Server {
	t.Helper()
	partial := tr
	partial.Spans = tr.Spans[:len(tr.Spans)-1]
	partialRaw, err := json.Marshal(map[string]any{"data": []agent.Trace{partial}})
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/traces/"+tr.TraceID {
			http.NotFound(w, r)
			return
		}
		switch n := hits.Add(1); {
		case n == 1:
			http.NotFound(w, r)
		case n == 2:
			_, _ = w.Write(partialRaw)
		default:
			_, _ = w.Write(raw)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWaitTrace(t *testing.T) {
	raw, tr := recorded(t)
	srv := fakeJaeger(t, raw, tr)
	got, err := agent.WaitTrace(context.Background(), srv.Client(), srv.URL, tr.TraceID, time.Millisecond, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spans) != len(tr.Spans) {
		t.Errorf("%d spans, want %d", len(got.Spans), len(tr.Spans))
	}
	_, err = agent.WaitTrace(context.Background(), srv.Client(), srv.URL, "00000000000000000000000000000001", time.Millisecond, 50*time.Millisecond)
	if !errors.Is(err, agent.ErrTraceIncomplete) {
		t.Errorf("unknown trace: %v, want ErrTraceIncomplete", err)
	}
}
