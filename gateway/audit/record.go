package audit

import (
	"encoding/json"
	"slices"
	"time"
)

// Record is one immutable audit entry. Its fields are unexported and every
// getter returns a copy, so a Record handed to a sink, a callback or another
// goroutine cannot be changed by the receiver. Build one with [NewRecord]; a
// [Recorder] seals it into the hash chain (Seq, PrevHash, Hash).
type Record struct {
	w wireRecord
	t time.Time
}

// ID is the record's random identifier (32 hex characters).
func (r Record) ID() string { return r.w.ID }

// Seq is the record's position in the chain, starting at 1 (0 before sealing).
func (r Record) Seq() uint64 { return r.w.Seq }

// Kind tells what the record is about (call, method, gap, truncation).
func (r Record) Kind() Kind { return r.w.Kind }

// Phase is intent (pre-dispatch, strict mode only) or outcome.
func (r Record) Phase() Phase { return r.w.Phase }

// IntentRef is the ID of the intent record an outcome record completes.
func (r Record) IntentRef() string { return r.w.IntentRef }

// Time is when the call was received (UTC).
func (r Record) Time() time.Time { return r.t }

// TraceID is the W3C trace id (32 hex) of the call's span.
func (r Record) TraceID() string { return r.w.TraceID }

// SpanID is the W3C span id (16 hex) of the call's span.
func (r Record) SpanID() string { return r.w.SpanID }

// Transport is the MCP transport (e.g. "http", "stdio").
func (r Record) Transport() string { return r.w.Transport }

// ProtocolVersion is the MCP protocol version of the request.
func (r Record) ProtocolVersion() string { return r.w.ProtocolVersion }

// SessionID is the MCP session id, empty for stateless requests.
func (r Record) SessionID() string { return r.w.SessionID }

// JSONRPCID is the JSON-RPC request id in its JSON text form.
func (r Record) JSONRPCID() string { return r.w.JSONRPCID }

// Method is the MCP method (e.g. "tools/call").
func (r Record) Method() string { return r.w.Method }

// Tool is the tool name for tools/call.
func (r Record) Tool() string { return r.w.Tool }

// Service is the go-micro service the tool maps to.
func (r Record) Service() string { return r.w.Service }

// Endpoint is the go-micro endpoint the tool maps to.
func (r Record) Endpoint() string { return r.w.Endpoint }

// Subject is the authenticated principal (empty if unauthenticated).
func (r Record) Subject() string { return r.w.Subject }

// Client is the OAuth client the principal used.
func (r Record) Client() string { return r.w.Client }

// Peer is the client's network address (host only).
func (r Record) Peer() string { return r.w.Peer }

// IntentID is the id of the user message the call acts on behalf of.
func (r Record) IntentID() string { return r.w.IntentID }

// RequiredScopes returns a copy of the scopes the tool requires.
func (r Record) RequiredScopes() []string { return slices.Clone(r.w.RequiredScopes) }

// GrantedScopes returns a copy of the scopes the principal holds.
func (r Record) GrantedScopes() []string { return slices.Clone(r.w.GrantedScopes) }

// ScopeSource tells where the required scopes came from (service, config, …).
func (r Record) ScopeSource() string { return r.w.ScopeSource }

// Decision is allow or deny.
func (r Record) Decision() Decision { return r.w.Decision }

// Reason explains the decision.
func (r Record) Reason() Reason { return r.w.Reason }

// RateLimit is the rate-limit outcome (e.g. "allowed", "limited").
func (r Record) RateLimit() string { return r.w.RateLimit }

// ArgsDigest is the hex HMAC-SHA256 of the compact JSON arguments.
func (r Record) ArgsDigest() string { return r.w.ArgsDigest }

// Args is the plaintext arguments, kept only for opted-in tools and capped.
func (r Record) Args() string { return r.w.Args }

// ArgsTruncated reports whether Args was cut at the size cap.
func (r Record) ArgsTruncated() bool { return r.w.ArgsTruncated }

// Outcome is ok, tool_error or error (empty for intent and deny records).
func (r Record) Outcome() Outcome { return r.w.Outcome }

// ErrorType is the OTel error.type of a failed call.
func (r Record) ErrorType() string { return r.w.ErrorType }

// Duration is the call's duration.
func (r Record) Duration() time.Duration { return time.Duration(r.w.DurationNS) }

// PolicyVersion is the version of the policy that decided.
func (r Record) PolicyVersion() string { return r.w.PolicyVersion }

// PolicyHash is the hash of the policy that decided.
func (r Record) PolicyHash() string { return r.w.PolicyHash }

// PolicyBefore is, for a policy change, the hash of the policy it replaced.
func (r Record) PolicyBefore() string { return r.w.PolicyBefore }

// Change is, for a policy change, what changed.
func (r Record) Change() string { return r.w.Change }

// Dropped is the number of records a gap record stands for.
func (r Record) Dropped() uint64 { return r.w.Dropped }

// Truncation describes the uncommitted bytes a truncation record accounts for.
func (r Record) Truncation() Truncation {
	return Truncation{File: r.w.TruncFile, Offset: r.w.TruncOffset, Bytes: r.w.TruncBytes, SHA256: r.w.TruncSHA256}
}

// PrevHash is the hash of the previous record in the chain.
func (r Record) PrevHash() string { return r.w.PrevHash }

// Hash is the SHA-256 (hex) of the record's canonical encoding.
func (r Record) Hash() string { return r.w.Hash }

// MarshalJSON encodes the record exactly as it is written to the audit file.
func (r Record) MarshalJSON() ([]byte, error) {
	b, err := encodeLine(r.w)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// UnmarshalJSON decodes a record line; it does not check the hash (see [Verify]).
func (r *Record) UnmarshalJSON(b []byte) error {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return err
	}
	*r = Record{w: w, t: t}
	return nil
}

// Truncation is the part of an audit file a truncation record declares
// uncommitted: bytes [Offset, Offset+Bytes) of File, with their SHA-256.
type Truncation struct {
	File   string
	Offset int64
	Bytes  int64
	SHA256 string
}
