package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeJaeger serves the recorded /api/traces response and keeps the query.
func fakeJaeger(t *testing.T, status int) (*httptest.Server, *url.Values) {
	t.Helper()
	body, err := os.ReadFile("testdata/traces.json")
	if err != nil {
		t.Fatal(err)
	}
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/traces" {
			http.NotFound(w, r)
			return
		}
		got = r.URL.Query()
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write(body)
		} else {
			_, _ = w.Write([]byte(`{"data":null,"errors":[{"code":400,"msg":"bad"}]}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

var now = time.Date(2026, 1, 2, 3, 10, 0, 0, time.UTC)

func TestQueryDenials(t *testing.T) {
	srv, q := fakeJaeger(t, http.StatusOK)
	got, err := Query(context.Background(), Options{JaegerURL: srv.URL + "/", Decision: "deny", Subject: "alice",
		Since: 10 * time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var tags map[string]string
	if err := json.Unmarshal([]byte(q.Get("tags")), &tags); err != nil {
		t.Fatal(err)
	}
	if q.Get("service") != "tracegate" || tags["tracegate.audit.decision"] != "deny" || tags["tracegate.audit.subject"] != "alice" ||
		q.Get("start") != "1767322800000000" || q.Get("end") != "1767323400000000" || q.Get("limit") != "100" {
		t.Fatalf("query %v", *q)
	}
	// The fake returns both traces; only the deny event matches.
	if len(got) != 1 {
		t.Fatalf("entries %+v", got)
	}
	e := got[0]
	if e.RecordID != "a1" || e.Tool != "posts.Posts.Delete" || e.Reason != "insufficient_scope" || e.IntentID != "msg-1" ||
		e.Duration != 250*time.Microsecond || e.URL != srv.URL+"/trace/4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("entry %+v", e)
	}
}

func TestRunTableAndJSON(t *testing.T) {
	srv, q := fakeJaeger(t, http.StatusOK)
	var out bytes.Buffer
	if err := Run(context.Background(), &out, Options{JaegerURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if q.Has("tags") {
		t.Fatalf("no filters should send no tags: %v", *q)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], "posts.Posts.Read") ||
		!strings.Contains(lines[2], "deny") || !strings.Contains(lines[2], "/trace/4bf92f") {
		t.Fatalf("table:\n%s", out.String())
	}
	out.Reset()
	if err := Run(context.Background(), &out, Options{JaegerURL: srv.URL, Tool: "posts.Posts.Read", JSON: true}); err != nil {
		t.Fatal(err)
	}
	var e Entry
	if err := json.Unmarshal(out.Bytes(), &e); err != nil || e.Outcome != "ok" || e.Decision != "allow" {
		t.Fatalf("%v %s", err, out.String())
	}
}

// TestEntryURLs: entries link to the trace in the Jaeger UI (--jaeger by
// default, --jaeger-ui when given) or, when --jaeger-ui holds {trace_id}, to
// that URL with the id filled in (a Jaeger without its UI).
func TestEntryURLs(t *testing.T) {
	srv, _ := fakeJaeger(t, http.StatusOK)
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	for ui, want := range map[string]string{
		"":                                    srv.URL + "/trace/" + id,
		"http://127.0.0.1:16686/":             "http://127.0.0.1:16686/trace/" + id,
		srv.URL + "/api/v3/traces/{trace_id}": srv.URL + "/api/v3/traces/" + id,
		"http://127.0.0.1:8080/console/message?q={trace_id}": "http://127.0.0.1:8080/console/message?q=" + id,
	} {
		fs := flag.NewFlagSet("search", flag.ContinueOnError)
		var o Options
		o.RegisterFlags(fs)
		args := []string{"--jaeger", srv.URL, "--decision", "deny"}
		if ui != "" {
			args = append(args, "--jaeger-ui", ui)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Run(context.Background(), &out, o); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), " "+want+"\n") {
			t.Errorf("--jaeger-ui %q: want the TRACE URL %s:\n%s", ui, want, out.String())
		}
	}
}

func TestQueryErrors(t *testing.T) {
	srv, _ := fakeJaeger(t, http.StatusBadRequest)
	if _, err := Query(context.Background(), Options{JaegerURL: srv.URL}); !errors.Is(err, ErrJaeger) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Query(context.Background(), Options{JaegerURL: srv.URL, Decision: "maybe"}); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("err = %v", err)
	}
}
