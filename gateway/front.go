package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/internal/wire"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

// front is the HTTP side of the pipeline at /mcp. For each request it
// creates the exchange, authenticates from the headers before reading the
// body, reads and parses the body once, checks the MCP headers against it,
// and runs the chain; an admitted request goes to the MCP SDK (stateful
// tracegate's session handler for 2025-11-25 sessions, the SDK's stateless
// handler for 2026-07-28) carrying its
// exchange, and whatever the SDK refuses is answered and audited the same
// way as the pipeline's own refusals.
type front struct {
	g         *Gateway
	fast      *fastPath // nil when disabled
	stateful  http.Handler
	stateless http.Handler
	limit     int64 // body bytes
	depth     int
	inflight  *budget
}

func newFront(g *Gateway, sessions *sessions, inflight *budget) *front {
	c := g.opts.Config
	getServer := func(*http.Request) *mcp.Server { return g.server }
	// The SDK learns the exchange (and the principal that binds its
	// sessions) through auth.TokenInfo, the channel it designed for what an
	// HTTP front verified; the front replaces the client's credential with
	// a marker before handing the request over.
	bind := auth.RequireBearerToken(func(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		ex := exchangeFrom(r.Context())
		if ex == nil {
			return nil, auth.ErrInvalidToken
		}
		return ex.tokenInfo(), nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})
	return &front{
		g:        g,
		stateful: bind(sessions),
		stateless: bind(mcp.NewStreamableHTTPHandler(getServer, &mcp.StreamableHTTPOptions{
			Stateless:                    true,
			MaxRequestBodyBytes:          c.MaxBodyBytes,
			PropagateRequestCancellation: true,
		})),
		fast:     newFastPath(g),
		limit:    c.MaxBodyBytes,
		depth:    c.MaxJSONDepth,
		inflight: inflight,
	}
}

// admittedMarker replaces the client's Authorization header on the request
// handed to the SDK: the caller's token never goes further than the front.
const admittedMarker = "Bearer tracegate-admitted"

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := newExchange(transportHTTP)
	defer ex.done()
	ex.httpMethod, ex.header, ex.peer = r.Method, r.Header, peerHost(r.RemoteAddr)
	ex.version = r.Header.Get("Mcp-Protocol-Version")
	ex.modern = ex.version >= statelessEra
	ex.sessionID = sessionHandle(r.Header.Get("Mcp-Session-Id"))
	if m := r.Header.Get("Mcp-Method"); knownMethod(m) {
		ex.method = m
	}
	switch {
	case !f.g.originAllowed(r):
		ex.refuse(refuseWith(reason.OriginNotAllowed, "origin not allowed"))
	case !f.methodAllowed(ex):
		ex.refuse(refuseWith(reason.MethodNotAllowed, "method "+r.Method+" not allowed on "+MCPPath))
	default:
		token, tokenErr := policy.BearerToken(r)
		f.g.admitter.authenticate(r.Context(), ex, token, tokenErr)
		if ex.authErr == nil && r.Method == http.MethodPost {
			f.read(ex, w, r)
		}
	}
	// Calls are answered once the chain has finished: span ended, audit
	// record written.
	iw := newInterceptor(w, ex.isCall() && ex.method != "subscriptions/listen")
	f.g.chain.run(r.Context(), ex, func(ctx context.Context, ex *exchange) {
		if f.fast.eligible(ex) {
			f.fast.serve(ctx, ex, iw)
			return
		}
		f.toSDK(ctx, ex, iw, r)
	})
	switch {
	case !ex.answered:
		f.refuse(w, r, ex, nil)
	case ex.verdict != nil && iw.holding():
		// Refused after the SDK answered (its own refusal, or the
		// pipeline's): the client gets the refusal with its reason.
		f.refuse(w, r, ex, iw.sdkError())
	default:
		iw.release()
	}
}

// methodAllowed: POST everywhere, GET and DELETE only on 2025-11-25 sessions.
func (f *front) methodAllowed(ex *exchange) bool {
	switch ex.httpMethod {
	case http.MethodPost:
		return true
	case http.MethodGet, http.MethodDelete:
		return !ex.modern
	}
	return false
}

// read takes the body within the in-flight budget, parses it once and
// checks the MCP request headers against it. Refusals go into ex.verdict.
func (f *front) read(ex *exchange, w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		ex.refuse(refuseWith(reason.UnsupportedMediaType, "Content-Type must be application/json"))
		return
	}
	if r.ContentLength > f.limit {
		ex.refuse(refuseWith(reason.BodyTooLarge, fmt.Sprintf("request body exceeds %d bytes", f.limit)))
		return
	}
	want := f.limit
	if r.ContentLength >= 0 {
		want = r.ContentLength
	}
	release, ok := f.inflight.take(ex.principalKey(), want)
	if !ok {
		ex.refuse(overloaded())
		return
	}
	ex.onDone(release)
	body, err := readBody(http.MaxBytesReader(w, r.Body, f.limit), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			ex.refuse(refuseWith(reason.BodyTooLarge, fmt.Sprintf("request body exceeds %d bytes", f.limit)))
			return
		}
		ex.refuse(refuseWith(reason.InvalidRequest, "cannot read the request body"))
		return
	}
	if r.ContentLength < 0 {
		// A body of unknown length was reserved at the limit while it was
		// read; from now on what it holds is its buffer.
		release()
		want = int64(cap(body))
		if release, ok = f.inflight.take(ex.principalKey(), want); !ok {
			ex.refuse(overloaded())
			return
		}
		ex.onDone(release)
	}
	m, err := wire.Parse(body, f.depth)
	if err != nil {
		var we *wire.Error
		errors.As(err, &we)
		ex.errID = we.ID
		why := reason.InvalidRequest
		switch we.Kind {
		case wire.KindSyntax:
			why = reason.ParseError
		case wire.KindTooDeep:
			why = reason.NestingTooDeep
		}
		ex.refuse(refuseWith(why, we.Msg))
		return
	}
	// The decoded forms of the message (its _meta here, its arguments in
	// admission, the SDK's params) live as long as the request: they are
	// reserved too, by their estimated size, not the text's.
	decoded := wire.DecodeCopies * m.DecodeCost
	release, ok = f.inflight.take(ex.principalKey(), decoded)
	if !ok {
		ex.errID = m.ID
		if want+decoded > f.inflight.share { // never admissible: retrying cannot help
			ex.refuse(refuseWith(reason.BodyTooLarge, fmt.Sprintf("this message and its decoded forms would take ~%d bytes, over the gateway's per-caller limit of %d in-flight bytes: send fewer or smaller values", want+decoded, f.inflight.share)))
		} else {
			ex.refuse(overloaded())
		}
		return
	}
	ex.onDone(release)
	ex.setMessage(m)
	if v := checkMessage(ex); v != nil {
		ex.refuse(v)
		return
	}
	if ex.modern {
		if v := modernHeaders(ex); v != nil {
			ex.refuse(v)
		} else if v := modernMeta(ex); v != nil {
			ex.refuse(v)
		}
	}
}

// readBody reads a body of known length into one buffer of that size (a
// growing buffer would hold up to twice the body), else reads it all.
func readBody(r io.Reader, length int64) ([]byte, error) {
	if length < 0 {
		return io.ReadAll(r)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	// The declared length must be the whole body: a longer one is cut by
	// net/http, a shorter one fails ReadFull.
	return body, nil
}

// modernHeaders checks the 2026-07-28 request headers against the body as
// the MCP SDK does (Mcp-Method, Mcp-Name, the protocol version in _meta),
// so that what is admitted is what the headers announced.
func modernHeaders(ex *exchange) *verdict {
	m := ex.msg
	if m.IsResponse {
		return nil
	}
	hm := ex.header.Get("Mcp-Method")
	switch {
	case hm == "":
		return refuseWith(reason.HeaderMismatch, "missing required Mcp-Method header")
	case hm != m.Method:
		return refuseWith(reason.HeaderMismatch, fmt.Sprintf("header mismatch: Mcp-Method header value %q does not match body value %q", capString(hm, maxToolName), capString(m.Method, maxToolName)))
	}
	switch m.Method {
	case methodToolsCall, methodPromptsGet, "resources/read":
		body := m.Name
		if m.Method == "resources/read" {
			body = m.URI
		}
		hn := ex.header.Get("Mcp-Name")
		switch {
		case hn == "":
			return refuseWith(reason.HeaderMismatch, fmt.Sprintf("missing required Mcp-Name header for method %q", m.Method))
		case hn != body:
			return refuseWith(reason.HeaderMismatch, "header mismatch: Mcp-Name header value does not match the body")
		}
	}
	return nil
}

// toSDK is the HTTP terminal: the admitted request, with the admitted
// (normalised) body and its exchange, goes to the SDK's handler for its era;
// the SDK's own refusals are caught and answered like the pipeline's.
func (f *front) toSDK(ctx context.Context, ex *exchange, iw *interceptor, r *http.Request) {
	r = r.Clone(withExchange(ctx, ex.forSDK()))
	r.Header = r.Header.Clone()
	r.Header.Set("Authorization", admittedMarker)
	if ex.msg != nil {
		body := ex.msg.Body
		if ex.method == methodToolsCall {
			// The admitted (normalised) arguments, as they will be dispatched.
			ex.handedArgs = ex.args
			body = ex.msg.WithArguments(ex.args)
		}
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(string(body))), int64(len(body))
	}
	h := f.stateful
	if ex.modern {
		h = f.stateless
	}
	h.ServeHTTP(iw, r)
	ex.handoff.seal()
	f.afterSDK(ex, iw)
	iw.finish(ex)
}

// afterSDK records a refusal the SDK (or the session handler) answered
// itself; sessions are created and ended by the session handler.
func (f *front) afterSDK(ex *exchange, iw *interceptor) {
	if v := iw.refusal(ex); v != nil {
		ex.refuse(v)
	}
}

// refuse answers a request the pipeline refused: the challenge headers and
// a JSON-RPC error carrying the request's id (a plain-text 403 makes the
// go-sdk client drop its session), or the isError result of invalid
// arguments.
func (f *front) refuse(w http.ResponseWriter, r *http.Request, ex *exchange, sdkErr *jsonrpc.Error) {
	v := ex.verdict
	if v == nil { // nothing answered and nothing refused: a bug, fail closed
		v = refuseWith(reason.Internal, "the gateway did not answer the request")
		ex.verdict = v
	}
	ex.answered = true
	status, _ := v.answer(ex.modern)
	if v.isToolResult() {
		writeJSONRPC(w, status, ex.rawID(), v.toolResult(), nil)
		return
	}
	v.challenge(policy.MetadataURL(f.g.resource(r))).Apply(w.Header())
	if v.reason == reason.MethodNotAllowed {
		w.Header().Set("Allow", "GET, POST, DELETE")
		if ex.modern {
			w.Header().Set("Allow", "POST")
		}
	}
	id := ex.rawID()
	if id == nil {
		id = ex.errID
	}
	writeJSONRPC(w, status, id, nil, keepSDKError(sdkErr, v))
}

// originAllowed implements DNS-rebinding protection for browsers: a request
// with an Origin header must come from a configured origin or, on loopback,
// from the gateway's own origin. Requests without Origin (non-browser
// clients) pass; the SDK also refuses non-loopback Host headers on loopback.
func (g *Gateway) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if slices.Contains(g.opts.Config.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host) && isLoopbackHost(r.Host)
}

func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// peerHost is the host part of a remote address (network.peer.address).
func peerHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}
