package audit

import (
	"context"
	"fmt"
	"time"
)

// AuditRecord is the go-micro gateway/mcp compatible view of a record (same
// field names and JSON tags as go-micro's AuditRecord, plus tracegate's
// extras). Each callback gets its own deep copy.
type AuditRecord struct {
	TraceID        string        `json:"trace_id"`
	Timestamp      time.Time     `json:"timestamp"`
	Tool           string        `json:"tool"`
	AccountID      string        `json:"account_id,omitempty"`
	ScopesRequired []string      `json:"scopes_required,omitempty"`
	Allowed        bool          `json:"allowed"`
	DeniedReason   string        `json:"denied_reason,omitempty"`
	Duration       time.Duration `json:"duration,omitempty"`
	Error          string        `json:"error,omitempty"`

	RecordID      string   `json:"record_id"`
	SpanID        string   `json:"span_id,omitempty"`
	Client        string   `json:"client,omitempty"`
	IntentID      string   `json:"intent_id,omitempty"`
	ScopesGranted []string `json:"scopes_granted,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Outcome       string   `json:"outcome,omitempty"`
	Kind          string   `json:"kind"`
	Dropped       uint64   `json:"dropped,omitempty"`
	Hash          string   `json:"hash,omitempty"`
}

// AuditFunc is go-micro's audit callback signature.
type AuditFunc func(record AuditRecord)

// AuditRecord returns a deep copy of r in the go-micro compatible shape.
func (r Record) AuditRecord() AuditRecord {
	a := AuditRecord{
		TraceID: r.w.TraceID, Timestamp: r.t, Tool: r.w.Tool, AccountID: r.w.Subject,
		ScopesRequired: r.RequiredScopes(), Allowed: r.w.Decision == Allow,
		Duration: r.Duration(), Error: r.w.ErrorType,
		RecordID: r.w.ID, SpanID: r.w.SpanID, Client: r.w.Client, IntentID: r.w.IntentID,
		ScopesGranted: r.GrantedScopes(), Reason: string(r.w.Reason),
		Outcome: string(r.w.Outcome), Kind: string(r.w.Kind), Dropped: r.w.Dropped, Hash: r.w.Hash,
	}
	if r.w.Decision == Deny {
		a.DeniedReason = string(r.w.Reason)
	}
	return a
}

// CallbackSink calls an [AuditFunc] with a private copy of each record.
type CallbackSink struct{ fn AuditFunc }

// NewCallbackSink returns a sink calling fn.
func NewCallbackSink(fn AuditFunc) *CallbackSink { return &CallbackSink{fn: fn} }

// Write calls the callback with a deep copy; a panic becomes an error.
func (s *CallbackSink) Write(_ context.Context, r Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("audit: callback panicked: %v", p)
		}
	}()
	s.fn(r.AuditRecord())
	return nil
}
