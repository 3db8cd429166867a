package audit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Fields is the plain data a pipeline knows about one MCP request. It is
// copied into a [Record] by [NewRecord]; changing Fields afterwards does not
// change the record.
type Fields struct {
	Time            time.Time // when the request arrived; zero means now
	TraceID         string
	SpanID          string
	Transport       string
	ProtocolVersion string
	SessionID       string
	JSONRPCID       string // the request id in JSON text form: 7 or "abc"
	Method          string // defaults to tools/call
	Tool            string
	Service         string
	Endpoint        string
	Subject         string
	Client          string
	Peer            string // the client's network address (host), as network.peer.address
	IntentID        string
	RequiredScopes  []string
	GrantedScopes   []string
	ScopeSource     string
	Decision        Decision
	Reason          Reason
	RateLimit       string
	Outcome         Outcome
	ErrorType       string
	Duration        time.Duration
	PolicyVersion   string
	PolicyHash      string
	// PolicyBefore and Change describe a policy change (Method
	// MethodPolicyChange): the hash it replaced and what changed, capped
	// at MaxChange bytes.
	PolicyBefore string
	Change       string

	// Arguments are the raw tools/call arguments. They are never stored as
	// given: NewRecord keeps only their digest, and their plaintext (capped)
	// when KeepArguments is set. Never put tokens here.
	Arguments json.RawMessage
	// KeepArguments records the plaintext arguments. A Recorder sets it from
	// Config.PlaintextArgsTools and ignores the caller's value.
	KeepArguments bool
	// Unsynced writes the record without an fsync whatever the mode: for
	// refusals before authentication, so that an anonymous flood cannot turn
	// into a disk-sync attack in strict mode.
	Unsynced bool
	// Dropped, when positive, makes the record a gap record standing for
	// that many records of its kind that were counted instead of written
	// (e.g. pre-authentication refusals over the per-address rate).
	Dropped uint64
}

// RecordOption configures [NewRecord].
type RecordOption func(*recordOpts)

type recordOpts struct {
	digester *Digester
	maxArgs  int
}

// WithDigester sets the HMAC digester for the arguments. Without it the
// arguments digest is left empty.
func WithDigester(d *Digester) RecordOption { return func(o *recordOpts) { o.digester = d } }

// WithArgsCap caps plaintext arguments at n bytes (cut on a rune boundary).
func WithArgsCap(n int) RecordOption { return func(o *recordOpts) { o.maxArgs = n } }

// NewRecord builds an unsealed outcome record of kind call (or method when
// f.Method is not tools/call) with a fresh random ID.
func NewRecord(f Fields, opts ...RecordOption) Record {
	o := recordOpts{maxArgs: DefaultPlaintextArgsMax}
	for _, fn := range opts {
		fn(&o)
	}
	t := f.Time
	if t.IsZero() {
		t = time.Now()
	}
	t = t.UTC()
	method := f.Method
	if method == "" && f.Dropped == 0 {
		method = MethodToolsCall
	}
	kind := KindCall
	switch {
	case f.Dropped > 0:
		kind = KindGap
	case method == MethodPolicyChange:
		kind = KindPolicy
	case method != MethodToolsCall:
		kind = KindMethod
	}
	w := wireRecord{
		Type: lineRecord, ID: newID(), Kind: kind, Phase: PhaseOutcome,
		Time: t.Format(time.RFC3339Nano), TraceID: f.TraceID, SpanID: f.SpanID,
		Transport: f.Transport, ProtocolVersion: f.ProtocolVersion, SessionID: f.SessionID,
		JSONRPCID: f.JSONRPCID, Method: method, Tool: f.Tool, Service: f.Service,
		Endpoint: f.Endpoint, Subject: f.Subject, Client: f.Client, Peer: f.Peer, IntentID: f.IntentID,
		RequiredScopes: slices.Clone(f.RequiredScopes), GrantedScopes: slices.Clone(f.GrantedScopes),
		ScopeSource: f.ScopeSource, Decision: f.Decision, Reason: f.Reason, RateLimit: f.RateLimit,
		Outcome: f.Outcome, ErrorType: f.ErrorType, DurationNS: int64(f.Duration),
		PolicyVersion: f.PolicyVersion, PolicyHash: f.PolicyHash, Dropped: f.Dropped,
		PolicyBefore: f.PolicyBefore,
	}
	w.Change, _ = capUTF8(f.Change, MaxChange)
	if len(f.Arguments) > 0 {
		compact := compactJSON(f.Arguments)
		if o.digester != nil {
			w.ArgsDigest = o.digester.Digest(compact)
		}
		if f.KeepArguments {
			w.Args, w.ArgsTruncated = capUTF8(string(compact), o.maxArgs)
		}
	}
	return Record{w: w, t: t}
}

// newID returns 16 random bytes in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// capUTF8 cuts s to at most n bytes on a rune boundary.
func capUTF8(s string, n int) (string, bool) {
	if n <= 0 || len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !runeStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

func runeStart(b byte) bool { return b&0xC0 != 0x80 }
