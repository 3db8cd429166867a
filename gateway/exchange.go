package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/gateway/internal/wire"
	"github.com/tracegate/tracegate/gateway/policy"
)

// Transport names recorded on spans and audit records.
const (
	transportHTTP  = "http"
	transportStdio = "stdio"
)

// exchange is the state of one MCP request: created once by the transport
// that received it (the HTTP front or the stdio reader), which authenticates
// the caller and parses the message exactly once; then carried through the
// pipeline (trace, audit, admit, call), each step reading what the earlier
// ones decided. It lives for one request and is never shared.
type exchange struct {
	// What arrived.
	transport  string
	httpMethod string         // POST, GET, DELETE; "" on stdio
	header     http.Header    // nil on stdio
	peer       string         // the client's address (host), "" on stdio
	msg        *wire.Message  // nil when the request was refused before its body was read
	meta       map[string]any // params._meta, decoded once
	method     string         // the MCP method: from msg, else the Mcp-Method header
	tool       string         // params.name, capped and escaped for recording
	version    string         // MCP protocol version (header, _meta or initialize params)
	sessionID  string         // the session's handle (Mcp-Session-Id up to its sealed part); for initialize, the one created
	modern     bool           // a 2026-07-28 (stateless) request

	// Authentication, done by the transport before the body is read.
	principal     policy.Principal
	authenticated bool
	authErr       error

	// Admission.
	policy      *policySnapshot // the policy the request is decided under, loaded once
	entry       *toolEntry      // tools/call of a known tool
	requirement policy.Requirement
	decision    *policy.Decision
	limit       *policy.LimitOutcome
	args        []byte   // the admitted arguments (after normalisation): what is dispatched
	handedArgs  []byte   // the argument bytes of the message the transport hands the MCP SDK
	verdict     *verdict // the refusal, nil while the request is allowed

	// Outcome.
	result   mcp.Result
	err      error
	warning  string   // an allowed call whose outcome could not be recorded
	handoff  *handoff // whether and when the SDK handed the request to the bridge
	audited  bool     // the request's one audit record is written
	decided  bool     // the request's one decision event is emitted
	answered bool     // an HTTP answer has been written
	errID    []byte   // the id a message refused by the parse could still be read with

	session     *openSession // the 2025-11-25 session the request belongs to or creates
	sessionSlot func()       // releases the session slot an initialize reserved, unless it is bound
	releases    []func()

	span          trace.Span
	clientBaggage baggage.Baggage // the client's baggage members allowed past the gateway
	start         time.Time
}

// newExchange starts the state of a request received on transport.
func newExchange(transport string) *exchange {
	return &exchange{transport: transport, start: time.Now(), handoff: &handoff{}}
}

// handoff orders the SDK's handling of a request (on its own goroutine)
// with the transport that waits for it: the bridge enters once, unless the
// transport has already sealed the exchange (the SDK answered without the
// bridge); sealing waits for a bridge that entered.
type handoff struct {
	state atomic.Int32 // handoffOpen, handoffEntered, handoffSealed
	done  chan struct{}
	once  sync.Once
}

const (
	handoffOpen int32 = iota
	handoffEntered
	handoffSealed
)

func (h *handoff) ch() chan struct{} {
	h.once.Do(func() { h.done = make(chan struct{}) })
	return h.done
}

// enter claims the request for the bridge; false when it is sealed.
func (h *handoff) enter() bool { return h.state.CompareAndSwap(handoffOpen, handoffEntered) }

// leave marks the bridge done with the request.
func (h *handoff) leave() { close(h.ch()) }

// seal ends the SDK's hold on the request, waiting for a bridge that
// entered, and tells whether one did.
func (h *handoff) seal() (bridged bool) {
	if h.state.CompareAndSwap(handoffOpen, handoffSealed) {
		return false
	}
	<-h.ch()
	return true
}

// bridged tells whether the bridge ran (after seal, or on stdio).
func (ex *exchange) bridged() bool { return ex.handoff.state.Load() == handoffEntered }

// forSDK is the exchange the SDK carries for ex: ex itself for a call (the
// transport waits for the answer), a copy for a notification, which the
// SDK handles after the transport has answered 202 and finished ex.
func (ex *exchange) forSDK() *exchange {
	if ex.isCall() {
		return ex
	}
	c := &exchange{}
	*c = *ex
	c.handoff = &handoff{}
	c.releases, c.sessionSlot = nil, nil
	return c
}

// onDone runs release when the request is over (in-flight bytes, slots).
func (ex *exchange) onDone(release func()) { ex.releases = append(ex.releases, release) }

// done releases what the request held.
func (ex *exchange) done() {
	for _, r := range ex.releases {
		r()
	}
	if ex.sessionSlot != nil {
		ex.sessionSlot()
	}
}

// setMessage records the parsed message and what follows from it.
func (ex *exchange) setMessage(m *wire.Message) {
	ex.msg = m
	ex.method = m.Method
	if m.HasName && (m.Method == methodToolsCall || m.Method == methodPromptsGet) {
		ex.tool = recordedName(m.Name)
	}
	if m.Meta != nil {
		_ = json.Unmarshal(m.Meta, &ex.meta) // wire.Parse checked it is a strict JSON object
	}
	if v, _ := ex.meta[mcp.MetaKeyProtocolVersion].(string); v != "" {
		ex.version = v
	} else if ex.version == "" && m.ProtocolVersion != "" {
		ex.version = m.ProtocolVersion
	}
}

// requestID is the JSON-RPC id as text ("" for a notification).
func (ex *exchange) requestID() string {
	if ex.msg == nil {
		return ""
	}
	return ex.msg.IDText()
}

// rawID is the JSON-RPC id as sent, for answers (nil: unknown).
func (ex *exchange) rawID() []byte {
	if ex.msg == nil || ex.msg.IsResponse {
		return nil
	}
	return ex.msg.ID
}

// isCall tells whether the request expects an answer on its own.
func (ex *exchange) isCall() bool { return ex.msg != nil && ex.msg.IsCall() }

// refuse records v as the request's refusal (the first one wins).
func (ex *exchange) refuse(v *verdict) {
	if ex.verdict == nil {
		ex.verdict = v
	}
}

// principalKey identifies the principal a session is bound to.
// The subject is length-prefixed, so no two (subject, client) pairs share a
// key whatever characters they hold.
func (ex *exchange) principalKey() string {
	return strconv.Itoa(len(ex.principal.Subject)) + ":" + ex.principal.Subject + ex.principal.Client
}

// exchangeExtraKey is where an exchange travels inside the MCP SDK: in the
// auth.TokenInfo the SDK hands from the HTTP request (or the stdio reader)
// to the request's handlers, a channel only tracegate's transports fill.
const exchangeExtraKey = "tracegate.exchange"

// tokenInfo is what the SDK learns about the request: the principal (which
// binds 2025-11-25 sessions to it) and the exchange itself.
func (ex *exchange) tokenInfo() *auth.TokenInfo {
	return &auth.TokenInfo{
		UserID:     ex.principalKey(),
		Scopes:     ex.principal.Scopes,
		Expiration: ex.principal.Expiry,
		Extra:      map[string]any{exchangeExtraKey: ex},
	}
}

// exchangeOf returns the exchange of an SDK request, or nil when the
// request did not come through a tracegate transport.
func exchangeOf(req mcp.Request) *exchange {
	if req == nil {
		return nil
	}
	extra := req.GetExtra()
	if extra == nil || extra.TokenInfo == nil {
		return nil
	}
	ex, _ := extra.TokenInfo.Extra[exchangeExtraKey].(*exchange)
	return ex
}

type exchangeKey struct{}

func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

func exchangeFrom(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

// recordedName is a client-chosen name made safe to record: cut to
// maxToolName bytes on a rune boundary, control and invalid bytes escaped.
func recordedName(name string) string {
	if len(name) > maxToolName {
		name = capString(name, maxToolName)
	}
	clean := true
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || r == '\\' {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	q := strconv.QuoteToASCII(name)
	return strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`)
}
