package console

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
)

// Entry is one audit record as the console shows it and streams it.
type Entry struct {
	Seq          uint64    `json:"seq,omitempty"`
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	Kind         string    `json:"kind"`
	Method       string    `json:"method,omitempty"`
	Tool         string    `json:"tool,omitempty"`
	Decision     string    `json:"decision,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Subject      string    `json:"subject,omitempty"`
	Client       string    `json:"client,omitempty"`
	IntentID     string    `json:"intent_id,omitempty"`
	TraceID      string    `json:"trace_id,omitempty"`
	SpanID       string    `json:"span_id,omitempty"`
	Outcome      string    `json:"outcome,omitempty"`
	ErrorType    string    `json:"error_type,omitempty"`
	DurationMS   float64   `json:"duration_ms"`
	Required     []string  `json:"required_scopes,omitempty"`
	Source       string    `json:"scope_source,omitempty"`
	PolicyHash   string    `json:"policy_hash,omitempty"`
	PolicyBefore string    `json:"policy_before,omitempty"`
	Change       string    `json:"change,omitempty"`
	Dropped      uint64    `json:"dropped,omitempty"`
}

func entryOf(r audit.Record) Entry {
	return Entry{
		Seq: r.Seq(), ID: r.ID(), Time: r.Time(), Kind: string(r.Kind()), Method: r.Method(), Tool: r.Tool(),
		Decision: string(r.Decision()), Reason: string(r.Reason()), Subject: r.Subject(), Client: r.Client(),
		IntentID: r.IntentID(), TraceID: r.TraceID(), SpanID: r.SpanID(), Outcome: string(r.Outcome()),
		ErrorType: r.ErrorType(), DurationMS: float64(r.Duration().Microseconds()) / 1000,
		Required: r.RequiredScopes(), Source: r.ScopeSource(), PolicyHash: r.PolicyHash(),
		PolicyBefore: r.PolicyBefore(), Change: r.Change(), Dropped: r.Dropped(),
	}
}

// Filter selects entries: every non-empty member must equal the entry's
// (Tool also matches a tool name's prefix ending in '*').
type Filter struct {
	Subject  string `json:"subject,omitempty"`
	Client   string `json:"client,omitempty"`
	Tool     string `json:"tool,omitempty"`
	Decision string `json:"decision,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Intent   string `json:"intent,omitempty"`
	Trace    string `json:"trace,omitempty"`
	Kind     string `json:"kind,omitempty"`
}

// Match reports whether e passes f.
func (f Filter) Match(e Entry) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	tool := f.Tool == "" || f.Tool == e.Tool ||
		(strings.HasSuffix(f.Tool, "*") && strings.HasPrefix(e.Tool, strings.TrimSuffix(f.Tool, "*")))
	return tool && eq(f.Subject, e.Subject) && eq(f.Client, e.Client) && eq(f.Decision, e.Decision) &&
		eq(f.Reason, e.Reason) && eq(f.Intent, e.IntentID) && eq(f.Trace, e.TraceID) && eq(f.Kind, e.Kind)
}

// subscriberBuffer bounds what a slow subscriber may fall behind; beyond
// it entries are counted as missed, never queued without bound.
const subscriberBuffer = 256

// Feed keeps the most recent audit records and hands every new one to its
// subscribers (the live Decisions page). It is an audit.Sink: register it
// with the recorder (gateway.Options.AuditSinks). Write never blocks.
type Feed struct {
	mu      sync.Mutex
	ring    []Entry
	next    int
	full    bool
	subs    map[*subscription]struct{}
	gaps    uint64
	dropped uint64
}

var _ audit.Sink = (*Feed)(nil)

// NewFeed returns a feed keeping the last size records (500 when size < 1).
func NewFeed(size int) *Feed {
	if size < 1 {
		size = 500
	}
	return &Feed{ring: make([]Entry, size), subs: map[*subscription]struct{}{}}
}

// Write records r (intent entries of strict mode are skipped: the outcome
// record follows) and hands it to the subscribers; a subscriber whose
// buffer is full misses it and is told how many it missed.
func (f *Feed) Write(_ context.Context, r audit.Record) error {
	if r.Phase() == audit.PhaseIntent {
		return nil
	}
	e := entryOf(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ring[f.next] = e
	f.next = (f.next + 1) % len(f.ring)
	f.full = f.full || f.next == 0
	if r.Kind() == audit.KindGap {
		f.gaps++
		f.dropped += r.Dropped()
	}
	for s := range f.subs {
		select {
		case s.ch <- e:
		default:
			s.missed.Add(1)
		}
	}
	return nil
}

// Recent returns up to n of the most recent entries matching filter,
// newest first.
func (f *Feed) Recent(filter Filter, n int) []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Entry
	size := f.next
	if f.full {
		size = len(f.ring)
	}
	for i := 1; i <= size && len(out) < n; i++ {
		e := f.ring[(f.next-i+len(f.ring))%len(f.ring)]
		if filter.Match(e) {
			out = append(out, e)
		}
	}
	return out
}

// Gaps returns how many gap records the feed has seen and the records they
// stand for.
func (f *Feed) Gaps() (gaps, dropped uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gaps, f.dropped
}

// subscribe returns a subscription to new entries; cancel ends it.
func (f *Feed) subscribe() (s *subscription, cancel func()) {
	s = &subscription{ch: make(chan Entry, subscriberBuffer)}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	return s, func() {
		f.mu.Lock()
		delete(f.subs, s)
		f.mu.Unlock()
	}
}

type subscription struct {
	ch     chan Entry
	missed atomic.Uint64
}
