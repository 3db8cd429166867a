package microkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go-micro.dev/v5/transport/headers"
)

// ConnMode says how a [NewClient] client's unary calls use connections.
//
// Why it matters (go-micro v5.30.0, issue 10 and micro/go-micro#2694): the
// server keys the pseudo-sockets of one connection by the request-id header
// it looks up as "Micro-ID", while the HTTP transport delivers it as
// "Micro-Id" (http.Header canonical form). Every unary request on a pooled
// connection therefore gets the same empty id, and when the client's next
// request on that connection arrives before the server has released the
// previous request's pseudo-socket, the server hands it to that finished
// socket: no handler runs, no answer is written, and the client fails after
// its 5 s connection timeout with 408 "Request Timeout", detail "<nil>".
type ConnMode int

const (
	// ConnStreamID (the default) keeps go-micro's connection pool and gives
	// every call attempt a unique "Micro-Stream" header. The server keys its
	// pseudo-sockets by that header first, and its spelling survives the
	// HTTP transport, so no request meets another's socket. Costs one
	// metadata copy per call. The server uses the header only to key the
	// pseudo-socket (its router still dispatches by the handler's
	// signature, and handler wrappers see a unary request), and
	// [NewServer] removes it from the handler's context so it is never
	// forwarded to the next hop. Relies on go-micro's server internals:
	// the regression check in examples/blog/svc watches it.
	ConnStreamID ConnMode = iota
	// ConnPerCall opens a fresh connection for every call
	// (client.PoolSize(0)): no go-micro internals relied upon, but a TCP
	// handshake per call and one TIME_WAIT socket per call on the client,
	// which runs out of ephemeral ports towards one remote address above a
	// few hundred calls per second.
	ConnPerCall
	// ConnGoMicroDefault is go-micro's pooled default, unchanged. It loses
	// answers (see [ConnMode]); it exists only to measure the fix against.
	ConnGoMicroDefault
)

// PoolTTL is how long a [ConnStreamID] client keeps a pooled connection
// (go-micro's default: one minute). go-micro v5.30.0's server defers the
// cancel of every request's timeout context inside its per-connection loop
// (server/rpc_server.go, ServeConn), so each request's context, metadata
// and header map stay reachable until the connection closes: ~1.5 KiB per
// call, i.e. ~90 MiB per minute at 1,000 calls/s on one connection.
// Reconnecting every 10 s bounds that to ten seconds of calls for the cost
// of one loopback handshake per connection per 10 s. Override it with
// WithClientOptions(client.PoolTTL(d)).
const PoolTTL = 10 * time.Second

// String names the mode as the benchmarks report it.
func (m ConnMode) String() string {
	switch m {
	case ConnStreamID:
		return "stream-id"
	case ConnPerCall:
		return "conn-per-call"
	case ConnGoMicroDefault:
		return "gomicro-default"
	}
	return "ConnMode(" + strconv.Itoa(int(m)) + ")"
}

// WithConnMode sets how a client uses connections (default [ConnStreamID]).
// Servers ignore it.
func WithConnMode(m ConnMode) Option {
	return optionFunc(func(c *config) { c.connMode = m })
}

// connOptions returns the client options that implement mode m. The
// stream-id wrapper is meant to be the innermost call wrapper, so it runs
// once per attempt, after every wrapper that rewrites metadata.
func connOptions(m ConnMode) []client.Option {
	switch m {
	case ConnPerCall:
		return []client.Option{client.PoolSize(0)}
	case ConnGoMicroDefault:
		return nil
	default:
		return []client.Option{client.WrapCall(newStreamIDs().wrap)}
	}
}

// streamIDs hands out per-client unique Micro-Stream values: a random
// prefix (so two clients never share one, should they ever share a
// connection) and a counter.
type streamIDs struct {
	prefix string
	n      atomic.Uint64
}

func newStreamIDs() *streamIDs {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return &streamIDs{prefix: "tg-" + hex.EncodeToString(b[:]) + "-"}
}

func (s *streamIDs) next() string {
	return s.prefix + strconv.FormatUint(s.n.Add(1), 36)
}

func (s *streamIDs) wrap(next client.CallFunc) client.CallFunc {
	return func(ctx context.Context, node *registry.Node, req client.Request, rsp interface{}, opts client.CallOptions) error {
		md, ok := metadata.FromContext(ctx) // a copy
		if !ok {
			md = metadata.Metadata{}
		}
		deleteFold(md, headers.Stream)
		md[headers.Stream] = s.next()
		return next(metadata.NewContext(ctx, md), node, req, rsp, opts)
	}
}

// stripStreamID removes the Micro-Stream header from a unary handler's
// context, so a client that forwards the incoming metadata (go-micro
// clients copy all of it) does not reuse the caller's stream id.
func stripStreamID(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp interface{}) error {
		if md, ok := metadata.FromContext(ctx); ok && deleteFold(md, headers.Stream) {
			ctx = metadata.NewContext(ctx, md)
		}
		return next(ctx, req, rsp)
	}
}

// deleteFold deletes every key of md equal to key under Unicode case
// folding and reports whether there was one: HTTP header names are
// case-insensitive, and two spellings of one header reach the wire in
// random order.
func deleteFold(md metadata.Metadata, key string) bool {
	found := false
	for k := range md {
		if strings.EqualFold(k, key) {
			delete(md, k)
			found = true
		}
	}
	return found
}
