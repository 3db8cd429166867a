package gateway

import (
	"context"
	"log"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/reason"
)

// auditor is step 6 of the pipeline: exactly one audit record per request.
// Allowed tools/call are recorded by the caller around dispatch
// ([audit.Recorder.Begin] / End), so strict mode can write before
// dispatching; the auditor records everything else, refusals included,
// after the rest of the chain has run.
type auditor struct {
	recorder *audit.Recorder
	policies *policyStore // names the policy each record was decided under
	logger   *log.Logger
	anon     *anonAudit
}

func (a *auditor) wrap(next handler) handler {
	return func(ctx context.Context, ex *exchange) {
		next(ctx, ex)
		if !ex.audited {
			a.record(ctx, ex)
		}
	}
}

// record writes the request's one record. Refusals before authentication
// are never fsynced and are throttled per client address (the rest are
// counted into a gap record), so an anonymous flood cannot become a disk
// attack. A write failure goes to the operator's log, not to the client:
// nothing was dispatched.
func (a *auditor) record(ctx context.Context, ex *exchange) {
	ex.audited = true
	f := a.fields(ctx, ex)
	switch v := ex.verdict; {
	case v != nil:
		f.Decision, f.Reason, f.Outcome = audit.Deny, v.reason, audit.OutcomeError
		f.ErrorType = ex.errorType()
		if !ex.authenticated { // refused before the caller was known: cheap to provoke
			f.Unsynced = true
			if !a.anon.allow(ex.peer) {
				return
			}
		}
	default:
		f.Decision, f.Outcome = audit.Allow, audit.OutcomeOK
		if f.ErrorType = ex.errorType(); f.ErrorType != "" {
			f.Outcome = audit.OutcomeError
		}
	}
	if _, err := a.recorder.Record(ctx, f); err != nil {
		a.logger.Printf("audit: %s %s: %v", ex.method, ex.tool, err)
	}
}

// fields collects what the pipeline knows about ex.
func (a *auditor) fields(ctx context.Context, ex *exchange) audit.Fields {
	sc := trace.SpanContextFromContext(ctx)
	if ex.span != nil {
		sc = ex.span.SpanContext()
	}
	f := audit.Fields{
		Time:            ex.start,
		TraceID:         sc.TraceID().String(),
		SpanID:          sc.SpanID().String(),
		Transport:       ex.transport,
		ProtocolVersion: capString(ex.version, maxVersionLen),
		SessionID:       capString(ex.sessionID, maxToolName),
		JSONRPCID:       capString(ex.requestID(), maxToolName),
		Method:          a.method(ex),
		Tool:            ex.tool,
		Peer:            ex.peer,
		RequiredScopes:  ex.requirement.Scopes,
		ScopeSource:     ex.requirement.Source,
		Duration:        time.Since(ex.start),
		PolicyHash:      a.policies.policyOf(ex).hash,
	}
	if ex.authenticated {
		f.Subject, f.Client, f.IntentID = ex.principal.Subject, ex.principal.Client, ex.principal.IntentID
	}
	if ex.entry != nil {
		f.Service, f.Endpoint, f.Tool = ex.entry.Service, ex.entry.Endpoint, ex.entry.Canonical
	}
	if d := ex.decision; d != nil {
		f.GrantedScopes, f.Reason = d.Granted, d.Reason
	}
	if l := ex.limit; l != nil {
		f.RateLimit = rateAllowed
		if !l.Allowed {
			f.RateLimit = rateLimited
		}
	}
	if ex.method == methodToolsCall && ex.msg != nil {
		f.Arguments = ex.msg.Arguments
		if ex.args != nil {
			f.Arguments = ex.args
		}
	}
	return f
}

// method is what the record names as the request's method: the MCP method,
// or the HTTP method for requests that carry no message (GET, DELETE, and
// refusals before the body was read).
func (a *auditor) method(ex *exchange) string {
	switch {
	case ex.msg != nil && ex.msg.IsResponse:
		return methodResponse
	case ex.msg != nil:
		return capString(ex.method, maxToolName)
	case ex.httpMethod != "":
		return ex.httpMethod
	}
	return ""
}

// anonAudit throttles the audit records of refusals before authentication
// per client address, counting the rest, and writes one gap record per
// address and second for what it held back: nothing is dropped silently.
type anonAudit struct {
	perSecond float64
	recorder  *audit.Recorder
	logger    *log.Logger

	mu      sync.Mutex
	peers   map[string]*anonPeer
	maxPeer int
}

type anonPeer struct {
	lim        *rate.Limiter
	suppressed uint64
	last       time.Time
}

func newAnonAudit(perSecond float64, r *audit.Recorder, logger *log.Logger) *anonAudit {
	return &anonAudit{perSecond: perSecond, recorder: r, logger: logger, peers: map[string]*anonPeer{}, maxPeer: 10000}
}

// allow tells whether a pre-authentication refusal from peer is recorded
// now; if not, it is counted for the next summary.
func (a *anonAudit) allow(peer string) bool {
	if a == nil || a.perSecond <= 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.peers[peer]
	if !ok && len(a.peers) >= a.maxPeer {
		peer = "" // one shared bucket once the table is full
		p, ok = a.peers[peer]
	}
	if !ok {
		p = &anonPeer{lim: rate.NewLimiter(rate.Limit(a.perSecond), max(1, int(a.perSecond)))}
		a.peers[peer] = p
	}
	p.last = time.Now()
	if p.lim.Allow() {
		return true
	}
	p.suppressed++
	return false
}

// flush writes a gap record for every address with held-back refusals and
// forgets idle addresses. It runs every second until ctx ends.
func (a *anonAudit) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			a.flush(context.WithoutCancel(ctx))
			return
		case <-tick.C:
			a.flush(ctx)
		}
	}
}

func (a *anonAudit) flush(ctx context.Context) {
	type summary struct {
		peer string
		n    uint64
	}
	var out []summary
	a.mu.Lock()
	for peer, p := range a.peers {
		if p.suppressed > 0 {
			out = append(out, summary{peer, p.suppressed})
			p.suppressed = 0
		} else if time.Since(p.last) > time.Minute {
			delete(a.peers, peer)
		}
	}
	a.mu.Unlock()
	for _, s := range out {
		f := audit.Fields{Decision: audit.Deny, Reason: reason.Unauthenticated, Peer: s.peer,
			Transport: transportHTTP, Dropped: s.n, Unsynced: true}
		if _, err := a.recorder.Record(ctx, f); err != nil {
			a.logger.Printf("audit: summary of %d refusals from %s: %v", s.n, s.peer, err)
		}
	}
}
