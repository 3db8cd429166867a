package console

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/audit/search"
	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// traceIDRE is a W3C trace id: what the Message page looks up as a trace;
// anything else is an intent (user message) id.
var traceIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Message lookups: how far back an intent is searched, how many traces.
const (
	messageSince  = 7 * 24 * time.Hour
	messageTraces = 20
	waterfallMax  = 1000 // the SVG bars' width in user units
)

// messageView is one user message (intent id) or one trace: its tool calls
// in order and the span tree of each of its traces.
type messageView struct {
	Query  string      `json:"query"`
	Kind   string      `json:"kind"` // intent or trace
	Calls  []Entry     `json:"calls"`
	Traces []waterfall `json:"traces"`
	Note   string      `json:"note,omitempty"` // why something is missing
}

// waterfall is one trace's spans in tree order with their place in time.
type waterfall struct {
	TraceID string    `json:"trace_id"`
	TotalMS float64   `json:"total_ms"`
	Spans   []spanRow `json:"spans"`
}

// spanRow is one span: X and W place its bar on a 0..waterfallMax axis.
type spanRow struct {
	Depth      int      `json:"depth"`
	Service    string   `json:"service"`
	Operation  string   `json:"operation"`
	Kind       string   `json:"kind"`
	StartMS    float64  `json:"start_ms"`
	DurationMS float64  `json:"duration_ms"`
	X          float64  `json:"-"`
	W          float64  `json:"-"`
	Decisions  []string `json:"decisions,omitempty"` // "allow granted", "deny insufficient_scope"
	Error      bool     `json:"error,omitempty"`
}

// message looks q up: calls from the audit events Jaeger holds (the
// gateway puts every record on its call's span), span trees from Jaeger's
// API; without Jaeger, the calls the feed still holds.
func (c *Console) message(ctx context.Context, q string) messageView {
	v := messageView{Query: q, Kind: "intent"}
	if q == "" {
		return v
	}
	f := Filter{Intent: q, Kind: string(audit.KindCall)}
	if traceIDRE.MatchString(q) {
		v.Kind, f = "trace", Filter{Trace: q, Kind: string(audit.KindCall)}
	}
	var traces []jaegerapi.Trace
	var err error
	if c.jaeger == nil {
		v.Note = "No Jaeger configured (console.jaeger_url): calls come from the console's recent records, without span trees."
	} else if traces, err = c.lookupTraces(ctx, v.Kind, q); err != nil {
		v.Note = "Jaeger could not be asked: " + err.Error()
	} else if len(traces) == 0 {
		v.Note = "Jaeger has no trace for this " + v.Kind + " (yet: spans are exported in batches)."
	}
	for _, tr := range traces {
		v.Traces = append(v.Traces, waterfallOf(tr))
		for _, e := range search.Entries([]jaegerapi.Trace{tr}, c.cfg.JaegerUIURL) {
			if e.Kind == string(audit.KindCall) && (v.Kind == "trace" || e.IntentID == q) {
				v.Calls = append(v.Calls, Entry{ID: e.RecordID, Time: e.Time, Kind: e.Kind, Subject: e.Subject,
					Tool: e.Tool, Decision: e.Decision, Reason: e.Reason, Outcome: e.Outcome, IntentID: e.IntentID,
					TraceID: e.TraceID, SpanID: e.SpanID, DurationMS: float64(e.Duration.Microseconds()) / 1000})
			}
		}
	}
	if len(v.Calls) == 0 {
		recent := c.feed.Recent(f, backlogMax)
		slices.Reverse(recent)
		v.Calls = recent
	}
	slices.SortStableFunc(v.Calls, func(a, b Entry) int { return a.Time.Compare(b.Time) })
	return v
}

// lookupTraces fetches the trace q, or the traces of the gateway whose
// audit events name intent q.
func (c *Console) lookupTraces(ctx context.Context, kind, q string) ([]jaegerapi.Trace, error) {
	if kind == "trace" {
		tr, found, err := c.jaeger.Trace(ctx, q)
		if err != nil || !found {
			return nil, err
		}
		return []jaegerapi.Trace{tr}, nil
	}
	found, err := search.Query(ctx, search.Options{JaegerURL: c.cfg.JaegerURL, Service: c.cfg.Service,
		Intent: q, Since: messageSince, Limit: messageTraces, HTTPClient: c.http, Now: c.now})
	if err != nil {
		return nil, err
	}
	var out []jaegerapi.Trace
	seen := map[string]bool{}
	for _, e := range found {
		if seen[e.TraceID] {
			continue
		}
		seen[e.TraceID] = true
		if tr, ok, err := c.jaeger.Trace(ctx, e.TraceID); err == nil && ok {
			out = append(out, tr)
		}
	}
	return out, nil
}

// waterfallOf lays out tr's span tree: depth-first in start order, each
// span's bar from its start to its end relative to the whole trace.
func waterfallOf(tr jaegerapi.Trace) waterfall {
	w := waterfall{TraceID: tr.TraceID}
	if len(tr.Spans) == 0 {
		return w
	}
	start, end := tr.Spans[0].StartTime, int64(0)
	for _, s := range tr.Spans {
		start = min(start, s.StartTime)
		end = max(end, s.StartTime+s.Duration)
	}
	total := max(end-start, 1)
	w.TotalMS = float64(total) / 1000
	roots, children := tr.Tree()
	var walk func(s jaegerapi.Span, depth int)
	walk = func(s jaegerapi.Span, depth int) {
		row := spanRow{Depth: min(depth, 12), Service: tr.Service(s), Operation: s.OperationName, Kind: s.Kind(),
			StartMS: float64(s.StartTime-start) / 1000, DurationMS: float64(s.Duration) / 1000,
			X: float64(s.StartTime-start) / float64(total) * waterfallMax,
			W: max(float64(s.Duration)/float64(total)*waterfallMax, 2)}
		if e, _ := s.Tag("error"); e == "true" {
			row.Error = true
		}
		for _, ev := range s.Events() {
			if ev.Name == "tracegate.authz.decision" || ev.Fields["event.name"] == "tracegate.authz.decision" {
				row.Decisions = append(row.Decisions, strings.TrimSpace(ev.Fields["tracegate.authz.decision"]+" "+ev.Fields["tracegate.authz.reason"]))
			}
		}
		w.Spans = append(w.Spans, row)
		for _, ch := range children[s.SpanID] {
			walk(ch, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return w
}

func (c *Console) serveMessage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	c.render(w, r, http.StatusOK, "message", view{Title: "Message", Data: c.message(r.Context(), q)})
}

func (c *Console) apiMessage(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, c.message(r.Context(), strings.TrimSpace(r.URL.Query().Get("q"))))
}
