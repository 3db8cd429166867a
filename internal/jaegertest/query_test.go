package jaegertest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegertest"
)

const waitTimeout = 10 * time.Second

// fakeQuery serves body for /api/traces/{id} after notFound 404 answers,
// and records the last search query.
type fakeQuery struct {
	*httptest.Server
	gets       atomic.Int32
	lastSearch atomic.Value // url.Values
}

func newFakeQuery(t *testing.T, body []byte, notFound int) *fakeQuery {
	t.Helper()
	f := &fakeQuery{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/traces":
			f.lastSearch.Store(r.URL.Query())
			_, _ = w.Write(body)
		case r.URL.Path == "/api/traces/bad":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"data":null,"errors":[{"code":400,"msg":"strconv.ParseUint: parsing \"bad\": invalid syntax"}]}`))
		case int(f.gets.Add(1)) <= notFound:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`))
		default:
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func TestWaitTracePollsUntilFoundAndComplete(t *testing.T) {
	srv := newFakeQuery(t, readFile(t, recordedPath), 3)
	tr := jaegertest.New(srv.URL).WaitTrace(t, recordedTrace,
		func(tr jaegertest.Trace) bool { return len(tr.Spans) == 6 }, waitTimeout)
	if tr.TraceID != recordedTrace || srv.gets.Load() != 4 {
		t.Fatalf("trace %s after %d requests, want %s after 4", tr.TraceID, srv.gets.Load(), recordedTrace)
	}
}

func TestWaitTraceFails(t *testing.T) {
	srv := newFakeQuery(t, readFile(t, recordedPath), 1000)
	for _, tc := range []struct {
		name, id string
		pred     func(jaegertest.Trace) bool
		want     string
	}{
		{"never stored", recordedTrace, nil, "not found within"},
		{"bad id fails at once", "bad", nil, "HTTP 400: strconv.ParseUint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			msg := fatalOf(func(tb testing.TB) {
				jaegertest.New(srv.URL).WaitTrace(tb, tc.id, tc.pred, 300*time.Millisecond)
			})
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("Fatalf(%q), want it to contain %q", msg, tc.want)
			}
			if tc.id == "bad" && time.Since(start) > 200*time.Millisecond {
				t.Fatalf("a 400 was retried for %s", time.Since(start))
			}
		})
	}
}

func TestWaitTraceReportsIncompleteTrace(t *testing.T) {
	srv := newFakeQuery(t, readFile(t, recordedPath), 0)
	msg := fatalOf(func(tb testing.TB) {
		jaegertest.New(srv.URL).WaitTrace(tb, recordedTrace, func(tr jaegertest.Trace) bool { return len(tr.Spans) > 6 }, 200*time.Millisecond)
	})
	if !strings.Contains(msg, "not as expected") || !strings.Contains(msg, "users/Users.Read [server] abb7c63bd3b214d5") {
		t.Fatalf("Fatalf(%q): want the last trace rendered", msg)
	}
}

func TestFindTracesQuery(t *testing.T) {
	body, _ := json.Marshal(map[string]any{"data": []any{map[string]any{"traceID": "8448eb211c80319c"}}})
	srv := newFakeQuery(t, body, 0)
	since := time.UnixMicro(1_795_631_370_000_000)
	got := jaegertest.New(srv.URL).FindTraces(t, "comments", map[string]string{"blog.comment.id": "comment-1"}, since)
	if !jaegertest.HasTrace(got, "00000000000000008448eb211c80319c") {
		t.Fatalf("HasTrace: %+v does not hold the short-printed id", got)
	}
	q := srv.lastSearch.Load().(url.Values)
	for key, want := range map[string]string{
		"service": "comments", "tags": `{"blog.comment.id":"comment-1"}`, "start": "1795631370000000", "limit": "100",
	} {
		if got := q.Get(key); got != want {
			t.Errorf("query %s = %q, want %q", key, got, want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(jaegertest.EnvURL, "")
	if msg := fatalOf(func(tb testing.TB) { jaegertest.FromEnv(tb) }); !strings.Contains(msg, "scripts/jaeger.sh run --") {
		t.Fatalf("FromEnv without JAEGER_URL: Fatalf(%q), want a hint to scripts/jaeger.sh run --", msg)
	}
	t.Setenv(jaegertest.EnvURL, "http://127.0.0.1:16686/")
	t.Setenv(jaegertest.EnvOTLPEndpoint, "http://127.0.0.1:4317")
	t.Setenv(jaegertest.EnvLog, "/tmp/jaeger.log")
	j := jaegertest.FromEnv(t)
	if j.URL != "http://127.0.0.1:16686" || j.OTLPEndpoint != "http://127.0.0.1:4317" || j.LogPath != "/tmp/jaeger.log" {
		t.Fatalf("FromEnv = %+v", j)
	}
	t.Setenv("OTEL_SERVICE_NAME", "outer")
	j.Setenv(t)
	for key, want := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_METRICS_EXPORTER": "none", "OTEL_SERVICE_NAME": "",
	} {
		if got := os.Getenv(key); got != want {
			t.Errorf("after Setenv, %s = %q, want %q", key, got, want)
		}
	}
}
