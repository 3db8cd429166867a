package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/reason"
)

// attrSessionRefusal says on the span why a session id was refused (the
// client only learns "session not found").
const attrSessionRefusal = "tracegate.session.refusal"

// sessions serves the 2025-11-25 protocol's sessions in place of the MCP
// SDK's stateful StreamableHTTPHandler, whose session table is private: a
// session lives in its sealed id ([sealer]) and in the shared
// [SessionStore], and each replica holds an SDK session (built from the
// SDK's exported StreamableServerTransport and Server.Connect) for the
// sessions it serves, adopting one it has never seen with
// ServerSessionOptions.State on its first request. Admission
// ([sessions.admit], [sessions.create]) opens and checks the id; the
// handler ([sessions.ServeHTTP]) serves admitted requests the way the SDK's
// handler does (same checks, same answers). A server-to-client stream (GET)
// stays on the replica that holds it; a lost stream is re-opened by the
// client; no resumption (Last-Event-ID) is offered.
type sessions struct {
	server *mcp.Server
	sealer *sealer
	store  SessionStore
	cfg    SessionConfig
	logger *log.Logger
	now    func() time.Time

	mu   sync.Mutex
	live map[string]*liveSession // by handle

	streams    context.Context // ends the GET streams on drain
	endStreams context.CancelFunc
}

// liveSession is this replica's SDK session for one session.
type liveSession struct {
	open     *openSession // the session it serves (store refreshes)
	ss       *mcp.ServerSession
	t        *mcp.StreamableServerTransport
	refs     int // requests being served, GET streams included
	lastUsed time.Time
}

func newSessions(server *mcp.Server, sealer *sealer, store SessionStore, cfg SessionConfig, logger *log.Logger) *sessions {
	streams, end := context.WithCancel(context.Background())
	return &sessions{server: server, sealer: sealer, store: store, cfg: cfg, logger: logger, now: time.Now,
		live: map[string]*liveSession{}, streams: streams, endStreams: end}
}

// newSessions builds the session handler from the options: the sealer from
// the key files, the store given or one replica's memory.
func (g *Gateway) newSessions() (*sessions, error) {
	c := g.opts.Config
	var secrets [][]byte
	for _, f := range []string{c.Sessions.KeyFile, c.Sessions.PreviousKeyFile} {
		if f == "" {
			continue
		}
		k, err := audit.LoadMACKey(f) // the same format: a secret of at least 32 bytes
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrSessionKey, f, err)
		}
		secrets = append(secrets, k)
	}
	if c.Sessions.KeyFile == "" && len(secrets) > 0 {
		return nil, fmt.Errorf("%w: previous_key_file needs key_file", ErrSessionKey)
	}
	sealer, err := newSealer(c.Sessions.MaxLifetime, secrets...)
	if err != nil {
		return nil, err
	}
	store := g.opts.SessionStore
	if store == nil {
		store = newMemorySessions(c.Replicas > 1)
	}
	return newSessions(g.server, sealer, store, c.Sessions, g.opts.Logger), nil
}

// drain begins a graceful stop: /readyz answers 503 for DrainDelay while
// requests are still served (a load balancer's health check takes the
// replica out of rotation), then the GET streams end (their clients
// re-open them through the load balancer, on another replica).
func (g *Gateway) drain() {
	g.draining.Store(true)
	if d := g.opts.Config.DrainDelay; d > 0 {
		time.Sleep(d)
	}
	g.admitter.sessions.endStreams()
}

// admit checks the session id of ex (from another request of the session,
// possibly served by another replica): it opens with a session key, is
// within its lifetime, is bound to ex's principal and is open in the store.
// Anything else is 404 session_not_found (the MCP MUST for an ended
// session), with the cause on the span.
func (s *sessions) admit(ctx context.Context, ex *exchange) *verdict {
	open, err := s.sealer.open(ex.header.Get("Mcp-Session-Id"))
	if err == nil && !open.ownedBy(ex) {
		err = errSessionForeign
	}
	if err == nil {
		var v *verdict
		if v, err = s.store.use(ctx, s.cfg, open); v != nil {
			return v
		}
	}
	if err != nil {
		if ex.span != nil {
			ex.span.SetAttributes(attribute.String(attrSessionRefusal, err.Error()))
		}
		return refuseWith(reason.SessionNotFound, "session not found")
	}
	ex.session = open
	return nil
}

// create seals the id of the session ex's initialize is about to create and
// reserves its place under the caps; the reservation is released when the
// initialize does not create the session.
func (s *sessions) create(ctx context.Context, ex *exchange) *verdict {
	open, err := s.sealer.seal(newState(ex, s.sealer.now()))
	if err != nil {
		return refuseWith(reason.Internal, "cannot create a session")
	}
	if v := s.store.reserve(ctx, s.cfg, open); v != nil {
		return v
	}
	ex.session = open
	ex.sessionSlot = func() { s.store.end(context.WithoutCancel(ctx), open) }
	return nil
}

// ServeHTTP serves an admitted 2025-11-25 request (its exchange in the
// context) as the SDK's stateful handler does.
func (s *sessions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := exchangeFrom(r.Context())
	if !hostAllowed(r) {
		http.Error(w, fmt.Sprintf("Forbidden: invalid Host header %q", r.Host), http.StatusForbidden)
		return
	}
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" && !slices.Contains(mcp.SupportedProtocolVersions(), v) {
		http.Error(w, "Bad Request: Unsupported protocol version (supported versions: "+
			strings.Join(mcp.SupportedProtocolVersions(), ",")+")", http.StatusBadRequest)
		return
	}
	hasID := r.Header.Get("Mcp-Session-Id") != ""
	switch {
	case ex == nil || (hasID && ex.session == nil):
		http.Error(w, "session not found", http.StatusNotFound)
	case r.Method == http.MethodPost:
		if j, st := accepts(r.Header.Values("Accept"), true); !j || !st {
			http.Error(w, "Accept must contain both 'application/json' and 'text/event-stream'", http.StatusBadRequest)
			return
		}
		if !hasID {
			s.serveNew(w, r, ex)
			return
		}
		s.serve(w, r, ex.session)
	case r.Method == http.MethodGet:
		if _, st := accepts(r.Header.Values("Accept"), true); !st {
			http.Error(w, "Accept must contain 'text/event-stream' for GET requests", http.StatusBadRequest)
			return
		}
		if !hasID {
			http.Error(w, "Bad Request: GET requires an Mcp-Session-Id header", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		stop := context.AfterFunc(s.streams, cancel)
		defer func() { stop(); cancel() }()
		s.serve(w, r.WithContext(ctx), ex.session)
	case r.Method == http.MethodDelete:
		if !hasID {
			http.Error(w, "Bad Request: DELETE requires an Mcp-Session-Id header", http.StatusBadRequest)
			return
		}
		s.store.end(r.Context(), ex.session)
		s.drop(ex.session.handle)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	}
}

// serveNew serves a POST without a session id: the initialize that creates
// the session admission sealed, or a request before any session (answered
// by a throwaway SDK session, as the SDK does).
func (s *sessions) serveNew(w http.ResponseWriter, r *http.Request, ex *exchange) {
	id := rand.Text()
	if ex.session != nil {
		id = ex.session.id
	}
	ls, err := s.connect(id, nil)
	if err != nil {
		s.logger.Printf("sessions: connect: %v", err)
		http.Error(w, "failed connection", http.StatusInternalServerError)
		return
	}
	ls.t.ServeHTTP(w, r)
	// This SDK session decoded the client's whole initialize (capabilities,
	// experimental, _meta) and would keep it for as long as it lives; the
	// session's next request adopts it from its sealed id instead, whose
	// state is capped. So it is closed here, session created or not.
	initialized := ls.ss.InitializeParams() != nil
	_ = ls.ss.Close()
	if ex.session == nil || !initialized {
		return
	}
	ex.sessionSlot = nil // the reservation is the session now
	ex.sessionID = ex.session.handle
}

// serve hands a request to the session's SDK session on this replica,
// adopting the session first when this replica does not hold it.
func (s *sessions) serve(w http.ResponseWriter, r *http.Request, open *openSession) {
	ls, err := s.acquire(open)
	if err != nil {
		s.logger.Printf("sessions: adopt %s: %v", open.handle, err)
		http.Error(w, "failed connection", http.StatusInternalServerError)
		return
	}
	defer s.release(ls)
	ls.t.ServeHTTP(w, r)
}

func (s *sessions) acquire(open *openSession) (*liveSession, error) {
	s.mu.Lock()
	ls := s.live[open.handle]
	var evicted *liveSession
	if ls == nil {
		evicted = s.evictLocked()
		var err error
		if ls, err = s.connect(open.id, open.sdkState()); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		ls.open = open
		s.addLocked(open.handle, ls)
	}
	ls.refs++
	ls.lastUsed = s.now()
	s.mu.Unlock()
	if evicted != nil {
		_ = evicted.ss.Close()
	}
	return ls, nil
}

// connect builds an SDK session for session id, already initialized with
// state when state is not nil (an adopted session). Its context is not the
// request's: the SDK session keeps the context it was connected with, and
// a request's (its exchange, headers, baggage) must not live as long as
// the session.
func (s *sessions) connect(id string, state *mcp.ServerSessionState) (*liveSession, error) {
	t := &mcp.StreamableServerTransport{SessionID: id}
	var opts *mcp.ServerSessionOptions
	if state != nil {
		opts = &mcp.ServerSessionOptions{State: state}
	}
	ss, err := s.server.Connect(context.WithoutCancel(s.streams), t, opts)
	if err != nil {
		return nil, err
	}
	return &liveSession{ss: ss, t: t}, nil
}

// evictLocked makes room for one more resident SDK session: at the cap
// (SessionConfig.MaxResident) it removes the least recently used idle one
// and returns it for the caller to close after unlocking. A session serving
// a request or a GET stream is never evicted; when all are busy the cap is
// exceeded until they finish (in-flight work is bounded elsewhere).
func (s *sessions) evictLocked() *liveSession {
	if len(s.live) < cmp.Or(s.cfg.MaxResident, defaultMaxResident) {
		return nil
	}
	var oldest string
	var victim *liveSession
	for h, ls := range s.live {
		if ls.refs == 0 && (victim == nil || ls.lastUsed.Before(victim.lastUsed)) {
			oldest, victim = h, ls
		}
	}
	if victim != nil {
		delete(s.live, oldest)
	}
	return victim
}

func (s *sessions) release(ls *liveSession) {
	s.mu.Lock()
	ls.refs--
	ls.lastUsed = s.now()
	s.mu.Unlock()
}

// addLocked holds ls until its SDK session closes (DELETE, expiry, drain).
func (s *sessions) addLocked(handle string, ls *liveSession) {
	s.live[handle] = ls
	go func() {
		_ = ls.ss.Wait()
		s.mu.Lock()
		if s.live[handle] == ls {
			delete(s.live, handle)
		}
		s.mu.Unlock()
	}()
}

// drop closes this replica's SDK session of handle, if it holds one.
func (s *sessions) drop(handle string) {
	s.mu.Lock()
	ls := s.live[handle]
	delete(s.live, handle)
	s.mu.Unlock()
	if ls != nil {
		_ = ls.ss.Close()
	}
}

// sweep closes the SDK sessions of sessions the store no longer holds
// (ended on another replica, or expired) and those idle here, so memory
// follows the sessions actually in use.
func (s *sessions) sweep(ctx context.Context) {
	s.mu.Lock()
	handles := make([]string, 0, len(s.live))
	var busy []*openSession
	for h, ls := range s.live {
		handles = append(handles, h)
		if ls.refs > 0 && ls.open != nil {
			busy = append(busy, ls.open)
		}
	}
	s.mu.Unlock()
	// A session serving a request or a GET stream is in use, however long
	// since its last POST (the SDK's own handler counts a hanging GET as a
	// request in progress): its last-seen time is refreshed in the store,
	// on every replica's view, before idle sessions are looked for.
	for _, open := range busy {
		_, _ = s.store.use(ctx, s.cfg, open)
	}
	alive := s.store.alive(ctx, s.cfg, handles)
	now := s.now()
	var ended []*liveSession
	s.mu.Lock()
	for _, h := range handles {
		ls, ok := s.live[h]
		if ok && (!alive[h] || ls.refs == 0 && idle(s.cfg, ls.lastUsed, now)) {
			delete(s.live, h)
			ended = append(ended, ls)
		}
	}
	s.mu.Unlock()
	for _, ls := range ended {
		_ = ls.ss.Close()
	}
}

// held is the number of sessions this replica holds an SDK session for.
func (s *sessions) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}
