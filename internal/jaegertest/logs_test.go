package jaegertest_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegertest"
)

// testdata/debug.log is real Jaeger output: two start-up lines, a dump with
// a multi-line attribute and a record without a span, and a dump of one
// batch holding the records of three services.
func TestParseRecordedDebugOutput(t *testing.T) {
	recs := jaegertest.LogRecords(t, "testdata/debug.log")
	if len(recs) != 8 {
		t.Fatalf("%d records, want 8: %+v", len(recs), recs)
	}
	const probeTrace = "b50aea6d46ac44a713345874d628ceea"
	for _, tc := range []struct {
		i                               int
		traceID, spanID, event, service string
		scope                           string
		attrs                           map[string]string
	}{
		{0, probeTrace, "5def0d0949eb39b7", "probe.event", "probe", "probe-scope", map[string]string{
			"blog.post.id": "post-1", "blog.result.count": "2", "b": "true", "weird": "a b: c\n-> x: Str(y)",
		}},
		{1, "", "", "probe.nospan", "probe", "probe-scope", map[string]string{}},
		{2, "aaf8c68a11533ea119459cbf6ff1b22f", "85aa669fc4da54dc", "blog.user.created", "users",
			"github.com/tracegate/tracegate/examples/blog/users", map[string]string{"blog.user.id": "user-1"}},
		{4, recordedTrace, usersServerID, "blog.user.read", "users",
			"github.com/tracegate/tracegate/examples/blog/users", map[string]string{"blog.user.id": "user-1"}},
		{6, recordedTrace, postsServerID, "blog.post.read", "posts",
			"github.com/tracegate/tracegate/examples/blog/posts", map[string]string{"blog.post.id": "post-1", "blog.author.id": "user-1"}},
		{7, recordedTrace, commentsServer, "blog.comment.created", "comments",
			"github.com/tracegate/tracegate/examples/blog/comments",
			map[string]string{"blog.comment.id": "comment-1", "blog.post.id": "post-1", "blog.author.id": "user-1"}},
	} {
		t.Run(tc.event, func(t *testing.T) {
			r := recs[tc.i]
			got := [...]string{r.TraceID, r.SpanID, r.EventName, r.Body, r.SeverityText, r.Resource["service.name"], r.Scope}
			want := [...]string{tc.traceID, tc.spanID, tc.event, tc.event, "INFO", tc.service, tc.scope}
			if got != want {
				t.Errorf("record %d = %q, want %q", tc.i, got, want)
			}
			if !maps.Equal(r.Attributes, tc.attrs) {
				t.Errorf("attributes %q, want %q", r.Attributes, tc.attrs)
			}
		})
	}
	if recs[0].Timestamp != "2026-11-25 18:29:30.514982893 +0000 UTC" {
		t.Errorf("timestamp %q", recs[0].Timestamp)
	}
}

func TestParseLogRecordsEdgeCases(t *testing.T) {
	const head = "2026-11-25T18:29:30.547Z\tinfo\tResourceLog #0\nResource attributes:\n     -> service.name: Str(s)\n" +
		"ScopeLogs #0\nInstrumentationScope sc 1.0\nLogRecord #0\n"
	for _, tc := range []struct {
		name, in  string
		wantN     int
		wantBody  string
		wantAttrs map[string]string
	}{
		{"empty", "", 0, "", nil},
		{"only collector lines", "2026-11-25T18:29:15.102Z\tinfo\tservice.go:247\tEverything is ready.\n", 0, "", nil},
		{"still being written", head + "Body: Str(b)\n", 0, "", nil},
		{"ended by Flags", head + "Body: Str(b)\nTrace ID: \nSpan ID: \nFlags: 0\n", 1, "b", map[string]string{}},
		{"ended by the dump's context line", head + "Body: Str(b)\n\t{\"resource\": {}}\n", 1, "b", map[string]string{}},
		{"multi-line body", head + "Body: Str(one\ntwo)\nAttributes:\n     -> k: Int(1)\nFlags: 1\n", 1, "one\ntwo", map[string]string{"k": "1"}},
		{"map and slice values", head + "Attributes:\n     -> m: Map({\"a\":1})\n     -> l: Slice([\"x\"])\n     -> e: Empty()\nFlags: 1\n",
			1, "", map[string]string{"m": `{"a":1}`, "l": `["x"]`, "e": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := jaegertest.ParseLogRecords(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tc.wantN {
				t.Fatalf("%d records, want %d: %+v", len(recs), tc.wantN, recs)
			}
			if tc.wantN == 0 {
				return
			}
			r := recs[0]
			if r.Body != tc.wantBody || !maps.Equal(r.Attributes, tc.wantAttrs) || r.Scope != "sc" || r.Resource["service.name"] != "s" {
				t.Fatalf("record %+v, want body %q attributes %v scope sc service s", r, tc.wantBody, tc.wantAttrs)
			}
		})
	}
}

func TestWaitLogRecordSeesAppendedOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jaeger.log")
	sample := readFile(t, "testdata/debug.log")
	if err := os.WriteFile(path, sample[:len(sample)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	j := jaegertest.New("http://127.0.0.1:1")
	j.LogPath = path
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(300 * time.Millisecond) // the exporter prints later
		_ = os.WriteFile(path, sample, 0o600)
	}()
	r := j.WaitLogRecord(t, func(r jaegertest.LogRecord) bool {
		return r.TraceID == recordedTrace && r.EventName == "blog.comment.created"
	}, waitTimeout)
	<-done
	if r.SpanID != commentsServer {
		t.Fatalf("span id %s, want %s", r.SpanID, commentsServer)
	}
	msg := fatalOf(func(tb testing.TB) {
		j.WaitLogRecord(tb, func(jaegertest.LogRecord) bool { return false }, 200*time.Millisecond)
	})
	if !strings.Contains(msg, "no matching log record") || !strings.Contains(msg, "8 records printed") {
		t.Fatalf("Fatalf(%q)", msg)
	}
}
