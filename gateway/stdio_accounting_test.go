package gateway_test

// Accounting on stdio: every request and notification a client sends has
// exactly one audit record with a decision (a reason when refused), and an
// answer never goes to another request than the one it answers. These began
// as round-2 attacks (h11): a request reusing the id of a call in flight and
// notifications the MCP SDK drops before tracegate's middleware went
// unanswered and unaudited on stdio.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
)

// stdioClient is the client side of a stdio gateway: it writes lines and
// reads every answer as soon as it is written (io.Pipe has no buffer, so a
// client that writes without reading would block the gateway's answers).
type stdioClient struct {
	in      io.Writer
	answers chan string
}

// newStdioClient serves pe's gateway on a pipe after initialize (see
// stdioPipe) and starts reading its answers.
func newStdioClient(t *testing.T, pe *probeEnv) *stdioClient {
	t.Helper()
	in, out := stdioPipe(t, pe)
	c := &stdioClient{in: in, answers: make(chan string, 1024)}
	go func() {
		defer close(c.answers)
		for out.Scan() {
			c.answers <- out.Text()
		}
	}()
	return c
}

func (c *stdioClient) write(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(c.in, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
}

// next returns the next answer.
func (c *stdioClient) next(t *testing.T) rawAnswer {
	t.Helper()
	select {
	case l, ok := <-c.answers:
		if !ok {
			t.Fatal("stdio ended")
		}
		a := rawAnswer{Raw: l}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("answer %q: %v", l, err)
		}
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("no answer within 20s")
	}
	return rawAnswer{}
}

// until reads answers until one carries id, returning it and the answers
// before it.
func (c *stdioClient) until(t *testing.T, id string) (rawAnswer, []rawAnswer) {
	t.Helper()
	var seen []rawAnswer
	for {
		a := c.next(t)
		if string(a.ID) == id {
			return a, seen
		}
		seen = append(seen, a)
	}
}

// holdProbe makes the first call that reaches the probe wait until release
// is called; entered is closed once it is inside. Later calls queue behind
// it (the probe records under one lock), so they stay in flight too.
func holdProbe(pe *probeEnv) (entered <-chan struct{}, release func()) {
	in, out := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pe.probe.onCall = func() {
		once.Do(func() {
			close(in)
			<-out
		})
	}
	var rel sync.Once
	return in, func() { rel.Do(func() { close(out) }) }
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal(what)
	}
}

// probeCall is a tools/call line of the probe with a raw id and a limit that
// names the line in the audit record's arguments.
func probeCall(id, tool string, limit int) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"probe.Probe.%s","arguments":{"limit":%d}}}`, id, tool, limit)
}

// recordsOf returns the records of the call whose arguments carry limit.
func recordsOf(recs []audit.Record, limit int) []audit.Record {
	var out []audit.Record
	for _, r := range recs {
		if r.Method() == "tools/call" && r.Args() == fmt.Sprintf(`{"limit":%d}`, limit) {
			out = append(out, r)
		}
	}
	return out
}

// TestStdioDuplicateInflightIDRefused: a request whose id is the id of a
// call still in flight is refused by the stdio front itself (the SDK would
// drop it before the middleware): answered with its own id as an invalid
// request, audited once as a deny, never dispatched, while the call in
// flight keeps its exchange, its record and its answer.
func TestStdioDuplicateInflightIDRefused(t *testing.T) {
	pe := newProbeEnv(t)
	entered, release := holdProbe(pe)
	defer release()
	c := newStdioClient(t, pe)
	// Drain the initialize-phase records.
	time.Sleep(200 * time.Millisecond)
	pe.sink.take()
	pe.capture.Reset()

	c.write(t, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":1}}}`)
	waitFor(t, entered, "the first call never reached the probe")
	// The same id while id 7 is in flight: a denied admin call.
	c.write(t, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"probe.Probe.Admin","arguments":{"limit":2}}}`)
	// A ping after it proves the duplicate line has been read and handled.
	c.write(t, `{"jsonrpc":"2.0","id":8,"method":"ping"}`)
	_, before := c.until(t, "8")
	release()
	first, _ := c.until(t, "7")
	time.Sleep(200 * time.Millisecond) // let the records of the answered lines land (checked below either way)

	recs := pe.sink.take()
	var admin, read, ping []audit.Record
	for _, r := range recs {
		switch {
		case r.Method() == "ping":
			ping = append(ping, r)
		case strings.Contains(r.Tool(), "Admin"):
			admin = append(admin, r)
		case strings.Contains(r.Tool(), "Read") && r.Phase() != audit.PhaseIntent:
			read = append(read, r)
		}
	}
	t.Logf("answers before ping: %v; first answer %s; records %v", before, first.Raw, describe(recs))
	if len(admin) != 1 || admin[0].Decision() != audit.Deny || admin[0].Reason() != "invalid_request" || admin[0].JSONRPCID() != "7" {
		t.Errorf("the duplicate-id tools/call of probe.Probe.Admin has records %v, want exactly 1 deny invalid_request for id 7",
			describe(admin))
	}
	if len(before) != 1 {
		t.Fatalf("answers before the ping: %v, want exactly the duplicate's refusal", before)
	}
	dup := before[0]
	if string(dup.ID) != "7" || dup.Error == nil || dup.Error.Code != -32600 || dup.reason() != "invalid_request" {
		t.Errorf("duplicate answered %s, want a -32600 invalid_request error with id 7", dup.Raw)
	}
	// The call in flight is not disturbed: its answer is its own success,
	// its record its own allow, and only it was dispatched.
	if first.Error != nil || first.Result == nil || first.Result.IsError || !strings.Contains(first.Raw, `"ok":true`) {
		t.Errorf("the first id 7 was answered %s, want its own result", first.Raw)
	}
	if len(read) != 1 || read[0].Decision() != audit.Allow || read[0].Outcome() != audit.OutcomeOK {
		t.Errorf("the first call has records %v, want exactly one allow", describe(read))
	}
	if len(ping) != 1 {
		t.Errorf("ping has %d records, want 1", len(ping))
	}
	if got := pe.probe.take(); len(got) != 1 || got[0].Endpoint != "Probe.Read" {
		t.Errorf("dispatched %+v, want only the first call", got)
	}
	if n := strings.Count(strings.Join(decisionReasons(pe.capture.Spans()), ","), "invalid_request"); n != 1 {
		t.Errorf("decision events %v, want one invalid_request", decisionReasons(pe.capture.Spans()))
	}
}

// TestStdioRefusedNotificationAudited: a notification the SDK refuses before
// its middleware (an unknown notifications/… method, params it cannot
// decode) has one audit record on stdio, a deny with its reason, as over
// HTTP; a notification gets no answer either way.
func TestStdioRefusedNotificationAudited(t *testing.T) {
	for _, tc := range []struct {
		line     string
		decision audit.Decision
	}{
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, audit.Allow}, // control
		{`{"jsonrpc":"2.0","method":"notifications/tracegate-unknown"}`, audit.Deny},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1},"reason":7}}`, audit.Deny},
		{`{"jsonrpc":"2.0","method":"notifications/roots/list_changed","params":[1,2]}`, audit.Deny},
	} {
		t.Run(tc.line, func(t *testing.T) {
			pe := newProbeEnv(t)
			c := newStdioClient(t, pe)
			time.Sleep(200 * time.Millisecond)
			pe.sink.take()
			c.write(t, tc.line, `{"jsonrpc":"2.0","id":9,"method":"ping"}`)
			_, before := c.until(t, "9")
			time.Sleep(200 * time.Millisecond)
			recs := pe.sink.take()
			var named []audit.Record
			for _, r := range recs {
				if strings.HasPrefix(r.Method(), "notifications/") {
					named = append(named, r)
				}
			}
			if len(named) != 1 {
				t.Fatalf("stdio notification %s: %d audit records naming it, want 1; all records %v", tc.line, len(named), describe(recs))
			}
			r := named[0]
			if r.Decision() != tc.decision || (tc.decision == audit.Deny) != (r.Reason() == "invalid_request") {
				t.Errorf("record %v, want decision %s (deny with reason invalid_request)", describe(named), tc.decision)
			}
			if len(before) != 0 {
				t.Errorf("the notification was answered: %v", before)
			}
		})
	}
}

// dupLine is one line sent while the call "hold" (id 7) is in flight, and
// whether it must be refused as a duplicate; every other line must be
// answered with its own result.
type dupLine struct {
	line    string
	refused bool
}

// TestStdioDuplicateIDPatterns: ids are equal as JSON-RPC and the SDK
// compare them (7 and "7" differ, "7" and "\u0037" do not); every duplicate
// of an id in flight is refused with its own answer and record and never
// dispatched, every other line is answered once with its own result.
func TestStdioDuplicateIDPatterns(t *testing.T) {
	hold := probeCall(`7`, "Read", 1)
	for _, tc := range []struct {
		name  string
		lines []dupLine
	}{
		{"string is another id", []dupLine{{probeCall(`"7"`, "Read", 2), false}}},
		{"same number", []dupLine{{probeCall(`7`, "Read", 2), true}}},
		{"same number, denied tool", []dupLine{{probeCall(`7`, "Admin", 2), true}}},
		{"same number thrice", []dupLine{{probeCall(`7`, "Read", 2), true}, {probeCall(`7`, "Read", 3), true}, {probeCall(`7`, "Read", 4), true}}},
		{"both the number and the string in flight", []dupLine{
			{probeCall(`"7"`, "Read", 2), false}, {probeCall(`"7"`, "Read", 3), true},
			{probeCall(`7`, "Read", 4), true}, {probeCall(`"\u0037"`, "Read", 5), true},
		}},
		{"other ids pass", []dupLine{
			{probeCall(`8`, "Read", 2), false}, {probeCall(`-7`, "Read", 3), false},
			{probeCall(`"07"`, "Read", 4), false}, {probeCall(`70`, "Read", 5), false},
			{probeCall(`"7 "`, "Read", 6), false},
		}},
		{"duplicate ping", []dupLine{{`{"jsonrpc":"2.0","id":7,"method":"ping"}`, true}}},
		{"duplicate unknown method", []dupLine{{`{"jsonrpc":"2.0","id":7,"method":"tracegate/nothing"}`, true}}},
		{"duplicate with params the SDK refuses", []dupLine{
			{`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{"limit":2},"_meta":{"progressToken":{}}}}`, true},
		}},
		{"duplicate notification lookalike", []dupLine{{`{"jsonrpc":"2.0","id":7,"method":"notifications/initialized"}`, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe := newProbeEnv(t)
			entered, release := holdProbe(pe)
			defer release()
			c := newStdioClient(t, pe)
			time.Sleep(100 * time.Millisecond)
			pe.sink.take()
			c.write(t, hold)
			waitFor(t, entered, "the held call never reached the probe")
			refused := 0
			wantAnswers := map[string]int{canonicalID(json.RawMessage("7")): 1}
			for _, l := range tc.lines {
				c.write(t, l.line)
				var m struct{ ID json.RawMessage }
				if err := json.Unmarshal([]byte(l.line), &m); err != nil {
					t.Fatal(err)
				}
				wantAnswers[canonicalID(m.ID)]++
				if l.refused {
					refused++
				}
			}
			c.write(t, `{"jsonrpc":"2.0","id":"sync","method":"ping"}`)
			_, before := c.until(t, `"sync"`)
			release()
			got := map[string]int{}
			dups := 0
			for _, a := range before {
				got[canonicalID(a.ID)]++
				if a.Error != nil && a.Error.Code == -32600 && a.reason() == "invalid_request" &&
					strings.Contains(a.Raw, "duplicate in-flight request ID") {
					dups++
				}
			}
			if dups != refused {
				t.Errorf("answers before release %v: %d duplicate refusals, want %d", before, dups, refused)
			}
			for seen, total := len(before), len(tc.lines)+1; seen < total; seen++ {
				a := c.next(t)
				if strings.Contains(a.Raw, "duplicate in-flight") {
					t.Errorf("refused after the call in flight was released: %s", a.Raw)
				}
				got[canonicalID(a.ID)]++
			}
			for id, n := range wantAnswers {
				if got[id] != n {
					t.Errorf("id %s answered %d times, want %d (answers by id %v)", id, got[id], n, got)
				}
			}
			time.Sleep(200 * time.Millisecond)
			recs := pe.sink.take()
			denied := 0
			for _, r := range recs {
				if r.Decision() == audit.Deny && r.Reason() == "invalid_request" {
					denied++
				}
			}
			if len(recs) != len(tc.lines)+2 || denied != refused {
				t.Errorf("records %v, want one per line (%d) with %d deny invalid_request", describe(recs), len(tc.lines)+2, refused)
			}
			for i, l := range tc.lines {
				limit := i + 2
				if !strings.Contains(l.line, fmt.Sprintf(`"limit":%d}`, limit)) {
					continue
				}
				rs := recordsOf(recs, limit)
				switch {
				case len(rs) != 1:
					t.Errorf("line %s has records %v, want exactly 1", l.line, describe(rs))
				case l.refused && (rs[0].Decision() != audit.Deny || rs[0].Reason() != "invalid_request"):
					t.Errorf("refused duplicate %s recorded %v, want deny invalid_request", l.line, describe(rs))
				case !l.refused && rs[0].Reason() == "invalid_request":
					t.Errorf("line %s refused as %v, want it handled", l.line, describe(rs))
				}
				for _, r := range pe.probe.take() {
					if l.refused && string(r.Body) == fmt.Sprintf(`{"limit":%d}`, limit) {
						t.Errorf("refused duplicate %s was dispatched", l.line)
					}
				}
			}
		})
	}
}

// canonicalID renders a raw id as the SDK compares it: strings decoded.
func canonicalID(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestStdioIDReusedAfterAnswerAccepted: an id is free again once its call
// is answered (JSON-RPC only asks ids to be unique among requests in
// flight), also after a duplicate of it was refused.
func TestStdioIDReusedAfterAnswerAccepted(t *testing.T) {
	pe := newProbeEnv(t)
	entered, release := holdProbe(pe)
	defer release()
	c := newStdioClient(t, pe)
	time.Sleep(100 * time.Millisecond)
	pe.sink.take()
	c.write(t, probeCall(`7`, "Read", 1))
	waitFor(t, entered, "the held call never reached the probe")
	c.write(t, probeCall(`7`, "Read", 2)) // refused: 7 is in flight
	if a, _ := c.until(t, "7"); a.Error == nil || a.Error.Code != -32600 {
		t.Fatalf("duplicate answered %s, want a -32600 refusal", a.Raw)
	}
	release()
	if a, _ := c.until(t, "7"); a.Error != nil || a.Result == nil || a.Result.IsError {
		t.Fatalf("held call answered %s, want its result", a.Raw)
	}
	for limit := 3; limit <= 5; limit++ { // sequential reuse: each accepted
		c.write(t, probeCall(`7`, "Read", limit))
		if a, _ := c.until(t, "7"); a.Error != nil || a.Result == nil || a.Result.IsError {
			t.Fatalf("reuse %d answered %s, want its result", limit, a.Raw)
		}
	}
	// The id of a call refused by policy (answered by the bridge) is free
	// once that refusal is answered.
	c.write(t, probeCall(`7`, "Admin", 6))
	if a, _ := c.until(t, "7"); a.reason() != "insufficient_scope" {
		t.Fatalf("admin call answered %s, want insufficient_scope", a.Raw)
	}
	c.write(t, probeCall(`7`, "Read", 7))
	if a, _ := c.until(t, "7"); a.Error != nil || a.Result == nil || a.Result.IsError {
		t.Fatalf("reuse after a refusal answered %s, want its result", a.Raw)
	}
	time.Sleep(200 * time.Millisecond)
	recs := pe.sink.take()
	for limit := 1; limit <= 7; limit++ {
		rs := recordsOf(recs, limit)
		want := audit.Allow
		if limit == 2 || limit == 6 {
			want = audit.Deny
		}
		if len(rs) != 1 || rs[0].Decision() != want {
			t.Errorf("call %d: records %v, want one %s", limit, describe(rs), want)
		}
	}
	if got := pe.probe.take(); len(got) != 5 {
		t.Errorf("dispatched %d calls, want 5 (all but the duplicate and the denied one)", len(got))
	}
}

// notificationCase is one hostile notification line and the decision its
// one audit record must carry, on every transport.
type notificationCase struct {
	line  string
	allow bool
	// unread: the one parse refuses the line before it can be read as a
	// notification (JSON-RPC: answered with id null, like any line that
	// cannot be read).
	unread bool
}

// notificationCases are notifications of many shapes. Denied ones are the
// shapes the MCP SDK drops before tracegate's middleware (or ids a
// cancellation could not name exactly); all are invalid requests.
func notificationCases() []notificationCase {
	n := func(method, params string, allow bool) notificationCase {
		l := `{"jsonrpc":"2.0","method":"` + method + `"`
		if params != "" {
			l += `,"params":` + params
		}
		return notificationCase{line: l + "}", allow: allow}
	}
	unread := func(c notificationCase) notificationCase { c.unread = true; return c }
	return []notificationCase{
		n("notifications/initialized", `{}`, true),
		n("notifications/initialized", `{"_meta":{"a":1},"extra":[1,{}]}`, true),
		n("notifications/roots/list_changed", ``, true),
		n("notifications/roots/list_changed", `{"x":"y"}`, true),
		n("notifications/cancelled", `{"requestId":12345}`, true),
		n("notifications/cancelled", `{"requestId":"abc","reason":"gone"}`, true),
		n("notifications/cancelled", `{"requestId":-9007199254740992,"reason":null}`, true),
		n("notifications/cancelled", `{}`, true), // requestId is optional (2025-11-25: tasks)
		n("notifications/progress", `{"progressToken":"t","progress":1}`, true),
		n("notifications/progress", `{"progressToken":1,"progress":0.5,"total":2e0,"message":"m"}`, true),

		n("notifications/tracegate-unknown", ``, false),
		n("notifications/tools/list_changed", ``, false), // server-to-client only
		n("notifications/message", `{"level":"info","data":1}`, false),
		n("notifications/Initialized", ``, false),
		n("notifications/", ``, false),
		n("notifications/initialized/x", `{}`, false),
		n("notifications/initialized", `[]`, false),
		n("notifications/roots/list_changed", `[1,2]`, false),
		n("notifications/initialized", `{"_meta":{"n":1e400}}`, false),
		n("notifications/cancelled", ``, false),
		n("notifications/cancelled", `[7]`, false),
		n("notifications/cancelled", `{"requestId":{"x":1}}`, false),
		n("notifications/cancelled", `{"requestId":[7]}`, false),
		n("notifications/cancelled", `{"requestId":true}`, false),
		n("notifications/cancelled", `{"requestId":null}`, false),
		n("notifications/cancelled", `{"requestId":1.5}`, false), // the SDK would cancel id 1
		n("notifications/cancelled", `{"requestId":1e2}`, false),
		n("notifications/cancelled", `{"requestId":9007199254740993}`, false),
		n("notifications/cancelled", `{"requestId":7,"reason":7}`, false),
		n("notifications/cancelled", `{"requestId":7,"reason":{}}`, false),
		unread(n("notifications/cancelled", `null`, false)),
		unread(n("notifications/cancelled", `{"requestId":1,"RequestId":{}}`, false)), // case variants
		unread(n("notifications/progress", `{"progressToken":"t","progress":1,"_meta":[]}`, false)),
		n("notifications/progress", ``, false),
		n("notifications/progress", `{"progressToken":"t","progress":"x"}`, false),
		n("notifications/progress", `{"progressToken":{},"progress":1}`, false),
		n("notifications/progress", `{"progressToken":"t","progress":1e400}`, false),
		n("notifications/progress", `{"progressToken":"t","progress":1,"total":"2"}`, false),
		n("notifications/progress", `{"progressToken":"t","progress":1,"message":5}`, false),
	}
}

// TestStdioNotificationShapes: every notification, whatever its shape, has
// exactly one audit record (a deny with reason invalid_request for the
// shapes the SDK would drop), gets no answer, and the server keeps serving.
func TestStdioNotificationShapes(t *testing.T) {
	pe := newProbeEnv(t)
	c := newStdioClient(t, pe)
	time.Sleep(100 * time.Millisecond)
	pe.sink.take()
	for i, tc := range notificationCases() {
		c.write(t, tc.line)
		syncID := fmt.Sprintf(`"n%d"`, i)
		c.write(t, `{"jsonrpc":"2.0","id":`+syncID+`,"method":"ping"}`)
		_, before := c.until(t, syncID)
		switch {
		case tc.unread && (len(before) != 1 || string(before[0].ID) != "null" || before[0].reason() != "invalid_request"):
			t.Errorf("%s was answered %v, want one invalid_request with id null", tc.line, before)
		case !tc.unread && len(before) != 0:
			t.Errorf("%s was answered: %v", tc.line, before)
		}
		// The notification's record is written before the next line is read.
		checkNotificationRecord(t, tc, pe.sink.take(), 1)
	}
	c.write(t, probeCall(`"after"`, "Read", 1))
	if a, _ := c.until(t, `"after"`); a.Result == nil || a.Result.IsError {
		t.Fatalf("stopped serving: %s", a.Raw)
	}
	time.Sleep(200 * time.Millisecond)
	if recs := pe.sink.take(); len(recs) != 1 {
		t.Errorf("late records %v, want only the last call's", describe(recs))
	}
}

// checkNotificationRecord checks that recs hold, besides pings, exactly one
// record, with c's decision.
func checkNotificationRecord(t *testing.T, c notificationCase, recs []audit.Record, pings int) {
	t.Helper()
	var mine []audit.Record
	for _, r := range recs {
		if r.Method() != "ping" {
			mine = append(mine, r)
		}
	}
	if len(recs)-len(mine) != pings || len(mine) != 1 {
		t.Errorf("%s: records %v, want exactly one besides %d ping", c.line, describe(recs), pings)
		return
	}
	r := mine[0]
	switch {
	case c.allow && r.Decision() != audit.Allow:
		t.Errorf("%s: recorded %v, want allow", c.line, describe(mine))
	case !c.allow && (r.Decision() != audit.Deny || r.Reason() != "invalid_request"):
		t.Errorf("%s: recorded %v, want deny invalid_request", c.line, describe(mine))
	}
}

// TestHTTPNotificationShapes: the same notifications over HTTP, in both
// eras, get the same decision in their one audit record as on stdio; an
// accepted one is answered 202, a refused one 400 (MCP: a notification the
// server cannot accept gets an HTTP error status).
func TestHTTPNotificationShapes(t *testing.T) {
	pe := newProbeEnv(t)
	for _, e := range pe.eras(t) {
		t.Run(e.name, func(t *testing.T) {
			for _, tc := range notificationCases() {
				pe.sink.take()
				var m struct{ Method string }
				_ = json.Unmarshal([]byte(tc.line), &m)
				status, _, a := pe.post(t, e, []byte(tc.line), m.Method, "")
				want := http.StatusAccepted
				if !tc.allow {
					want = http.StatusBadRequest
				}
				if status != want {
					t.Errorf("%s: status %d (%s), want %d", tc.line, status, a.Raw, want)
				}
				checkNotificationRecord(t, tc, pe.sink.take(), 0)
			}
		})
	}
}

// TestStdioNotificationLookalikesAnswered: a notifications/… method sent
// with an id is a call: answered (the SDK refuses it, or the front cannot
// read its id) and audited once.
func TestStdioNotificationLookalikesAnswered(t *testing.T) {
	pe := newProbeEnv(t)
	c := newStdioClient(t, pe)
	time.Sleep(100 * time.Millisecond)
	pe.sink.take()
	for id, l := range map[string]string{
		`5`:    `{"jsonrpc":"2.0","id":5,"method":"notifications/initialized"}`,
		`"c"`:  `{"jsonrpc":"2.0","id":"c","method":"notifications/cancelled","params":{"requestId":{}}}`,
		`null`: `{"jsonrpc":"2.0","id":null,"method":"notifications/progress"}`,
	} {
		c.write(t, l)
		if a, _ := c.until(t, id); a.Error == nil {
			t.Errorf("%s answered %s, want an error", l, a.Raw)
		}
		time.Sleep(50 * time.Millisecond)
		if recs := pe.sink.take(); len(recs) != 1 || recs[0].Decision() != audit.Deny {
			t.Errorf("%s: records %v, want one deny", l, describe(recs))
		}
	}
}
