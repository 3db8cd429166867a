package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// Errors returned (wrapped) by [Query].
var (
	ErrJaeger       = errors.New("search: jaeger query failed")
	ErrInvalidQuery = errors.New("search: invalid query")
)

// Attribute keys of the tracegate.audit event (mirrors gateway/audit).
const (
	keyPrefix   = "tracegate.audit."
	keyRecordID = keyPrefix + "record.id"
	keyDecision = keyPrefix + "decision"
	keyReason   = keyPrefix + "reason"
	keySubject  = keyPrefix + "subject"
	keyTool     = keyPrefix + "tool"
	keyIntent   = keyPrefix + "intent.id"
	keyOutcome  = keyPrefix + "outcome"
	keyDuration = keyPrefix + "duration_ms"
	keyKind     = keyPrefix + "kind"
)

// Options are the flags of `tracegate audit search`.
type Options struct {
	JaegerURL string // default http://127.0.0.1:16686
	// JaegerUIURL is where each entry's URL points (default JaegerURL): the
	// Jaeger UI's base URL, or a URL with {trace_id} (see
	// [jaegerapi.TraceURL]).
	JaegerUIURL string
	Service     string        // gateway service name, default tracegate
	Since       time.Duration // look back this far, default 1h
	Tool        string
	Subject     string
	Decision    string // allow or deny
	Intent      string // intent id
	Limit       int    // max traces asked from Jaeger, default 100
	JSON        bool
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
}

// Entry is one audit event found in Jaeger.
type Entry struct {
	Time     time.Time     `json:"time"`
	TraceID  string        `json:"trace_id"`
	SpanID   string        `json:"span_id"`
	RecordID string        `json:"record_id"`
	Kind     string        `json:"kind,omitempty"`
	Subject  string        `json:"subject,omitempty"`
	Tool     string        `json:"tool,omitempty"`
	Decision string        `json:"decision,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Outcome  string        `json:"outcome,omitempty"`
	IntentID string        `json:"intent_id,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	URL      string        `json:"url"`
}

func (o Options) withDefaults() Options {
	if o.JaegerURL == "" {
		o.JaegerURL = "http://127.0.0.1:16686"
	}
	o.JaegerURL = strings.TrimRight(o.JaegerURL, "/")
	if o.JaegerUIURL == "" {
		o.JaegerUIURL = o.JaegerURL
	}
	if o.Service == "" {
		o.Service = "tracegate"
	}
	if o.Since == 0 {
		o.Since = time.Hour
	}
	if o.Limit == 0 {
		o.Limit = 100
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// filters returns the tag filters (exact match) of o.
func (o Options) filters() map[string]string {
	f := make(map[string]string)
	for k, v := range map[string]string{keyTool: o.Tool, keySubject: o.Subject, keyDecision: o.Decision, keyIntent: o.Intent} {
		if v != "" {
			f[k] = v
		}
	}
	return f
}

// Query asks Jaeger for traces of the gateway service carrying audit events
// that match o, and returns those events, oldest first.
func Query(ctx context.Context, o Options) ([]Entry, error) {
	o = o.withDefaults()
	if o.Since < 0 || o.Limit < 0 {
		return nil, fmt.Errorf("%w: since and limit must be positive", ErrInvalidQuery)
	}
	if d := o.Decision; d != "" && d != "allow" && d != "deny" {
		return nil, fmt.Errorf("%w: decision %q (want allow or deny)", ErrInvalidQuery, d)
	}
	tags := o.filters()
	now := o.Now()
	c := &jaegerapi.Client{URL: o.JaegerURL, HTTP: o.HTTPClient}
	traces, err := c.Find(ctx, jaegerapi.Query{
		Service: o.Service, Tags: tags, Start: now.Add(-o.Since), End: now, Limit: o.Limit,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJaeger, err)
	}
	return extract(traces, o, tags), nil
}

// Entries returns every audit event (span log) of traces, oldest first,
// each linking to its trace at jaegerUIURL (see [jaegerapi.TraceURL]): the
// audit records of one trace, e.g. one user message.
func Entries(traces []jaegerapi.Trace, jaegerUIURL string) []Entry {
	return extract(traces, Options{JaegerUIURL: jaegerUIURL}, nil)
}

// extract keeps the span events (span logs) that are audit events matching
// every filter (Jaeger matches tags per trace, so other events of a trace
// come along).
func extract(traces []jaegerapi.Trace, o Options, tags map[string]string) []Entry {
	var out []Entry
	seen := make(map[string]bool)
	for _, tr := range traces {
		for _, sp := range tr.Spans {
			for _, ev := range sp.Events() {
				f := ev.Fields
				id, ok := f[keyRecordID]
				if !ok || seen[id] || !matches(f, tags) {
					continue
				}
				seen[id] = true
				ms, _ := strconv.ParseFloat(f[keyDuration], 64)
				out = append(out, Entry{
					Time: ev.Time.UTC(), TraceID: sp.TraceID, SpanID: sp.SpanID,
					RecordID: id, Kind: f[keyKind], Subject: f[keySubject],
					Tool: f[keyTool], Decision: f[keyDecision], Reason: f[keyReason],
					Outcome: f[keyOutcome], IntentID: f[keyIntent],
					Duration: time.Duration(ms * float64(time.Millisecond)),
					URL:      jaegerapi.TraceURL(o.JaegerUIURL, sp.TraceID),
				})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.Time.Compare(b.Time) })
	return out
}

func matches(f, tags map[string]string) bool {
	for k, v := range tags {
		if got, ok := f[k]; !ok || got != v {
			return false
		}
	}
	return true
}
