package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
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
	JaegerURL string        // default http://127.0.0.1:16686
	Service   string        // gateway service name, default tracegate
	Since     time.Duration // look back this far, default 1h
	Tool      string
	Subject   string
	Decision  string // allow or deny
	Intent    string // intent id
	Limit     int    // max traces asked from Jaeger, default 100
	JSON      bool
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
	tagJSON, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("search: encode tags: %w", err)
	}
	now := o.Now()
	q := url.Values{
		"service": {o.Service},
		"start":   {strconv.FormatInt(now.Add(-o.Since).UnixMicro(), 10)},
		"end":     {strconv.FormatInt(now.UnixMicro(), 10)},
		"limit":   {strconv.Itoa(o.Limit)},
	}
	if len(tags) > 0 {
		q.Set("tags", string(tagJSON))
	}
	resp, err := get(ctx, o.HTTPClient, o.JaegerURL+"/api/traces?"+q.Encode())
	if err != nil {
		return nil, err
	}
	return extract(resp, o, tags), nil
}

func get(ctx context.Context, c *http.Client, u string) (jaegerResponse, error) {
	var out jaegerResponse
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return out, fmt.Errorf("%w: %w", ErrJaeger, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return out, fmt.Errorf("%w: %w", ErrJaeger, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return out, fmt.Errorf("%w: read: %w", ErrJaeger, err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%w: %s: %.200s", ErrJaeger, resp.Status, body)
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return out, fmt.Errorf("%w: decode: %w", ErrJaeger, err)
	}
	if len(out.Errors) > 0 {
		return out, fmt.Errorf("%w: %s", ErrJaeger, out.Errors[0].Msg)
	}
	return out, nil
}

// extract keeps the span logs that are audit events matching every filter
// (Jaeger matches tags per trace, so other events of a trace come along).
func extract(resp jaegerResponse, o Options, tags map[string]string) []Entry {
	var out []Entry
	seen := make(map[string]bool)
	for _, tr := range resp.Data {
		for _, sp := range tr.Spans {
			for _, lg := range sp.Logs {
				f := make(map[string]jaegerKeyVal, len(lg.Fields))
				for _, kv := range lg.Fields {
					f[kv.Key] = kv
				}
				id, ok := f[keyRecordID]
				if !ok || seen[id.text()] || !matches(f, tags) {
					continue
				}
				seen[id.text()] = true
				out = append(out, Entry{
					Time: time.UnixMicro(lg.Timestamp).UTC(), TraceID: sp.TraceID, SpanID: sp.SpanID,
					RecordID: id.text(), Kind: f[keyKind].text(), Subject: f[keySubject].text(),
					Tool: f[keyTool].text(), Decision: f[keyDecision].text(), Reason: f[keyReason].text(),
					Outcome: f[keyOutcome].text(), IntentID: f[keyIntent].text(),
					Duration: time.Duration(f[keyDuration].float() * float64(time.Millisecond)),
					URL:      o.JaegerURL + "/trace/" + sp.TraceID,
				})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.Time.Compare(b.Time) })
	return out
}

func matches(f map[string]jaegerKeyVal, tags map[string]string) bool {
	for k, v := range tags {
		if kv, ok := f[k]; !ok || kv.text() != v {
			return false
		}
	}
	return true
}
