package gateway

import (
	"context"
	"fmt"
	"io"
	"log"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/internal/redistest"
)

// TestSessionSweep: the periodic sweep closes this replica's SDK session of
// a session the store no longer holds (ended elsewhere) and of one idle
// here, and keeps one that is serving a request (a GET stream); with either
// store.
func TestSessionSweep(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testSessionSweep(t, newMemorySessions(false)) })
	t.Run("redis", func(t *testing.T) { testSessionSweep(t, NewRedisSessionStore(redistest.Start(t).Client(t))) })
}

func testSessionSweep(t *testing.T, store SessionStore) {
	server := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	cfg := SessionConfig{IdleTimeout: time.Minute, MaxPerSubject: 10, MaxTotal: 10}
	s := newSessions(server, testSealer(t, time.Hour, keyA), store, cfg, log.New(io.Discard, "", 0))
	t.Cleanup(func() {
		for ss := range server.Sessions() {
			_ = ss.Close()
		}
	})
	ctx := context.Background()
	open := func(subject string) (*openSession, *liveSession) {
		ex := initializeExchange(t, subject, "c", initParams)
		if v := s.create(ctx, ex); v != nil {
			t.Fatal(v.message)
		}
		ls, err := s.acquire(ex.session)
		if err != nil {
			t.Fatal(err)
		}
		return ex.session, ls
	}
	ended, endedLive := open("ended")
	s.release(endedLive)
	_, idleLive := open("idle")
	s.release(idleLive)
	_, busy := open("busy") // a GET stream: never released during the test
	if s.held() != 3 {
		t.Fatalf("held %d", s.held())
	}

	store.end(ctx, ended) // a DELETE on another replica
	s.sweep(ctx)
	if s.held() != 2 {
		t.Fatalf("after the store ended one: held %d", s.held())
	}
	waitClosed(t, endedLive)

	later := time.Now().Add(2 * cfg.IdleTimeout)
	s.now = func() time.Time { return later }
	s.sweep(ctx) // the store still holds the idle one: only local idleness closes it
	waitClosed(t, idleLive)
	if s.held() != 1 {
		t.Fatalf("after local idleness: held %d", s.held())
	}
	if _, ok := s.live[sessionHandle(busy.t.SessionID)]; !ok {
		t.Fatal("the session serving a GET stream was closed")
	}
}

func waitClosed(t *testing.T, ls *liveSession) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = ls.ss.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the SDK session was not closed")
	}
}

// TestSessionResidentCap: beyond SessionConfig.MaxResident the least
// recently used idle SDK session is closed here, a busy one never is, and
// an evicted session stays open: its next request adopts it again from its
// sealed id with the same state.
func TestSessionResidentCap(t *testing.T) {
	server := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	cfg := SessionConfig{IdleTimeout: time.Hour, MaxPerSubject: 10, MaxTotal: 10, MaxResident: 2}
	s := newSessions(server, testSealer(t, time.Hour, keyA), newMemorySessions(false), cfg, log.New(io.Discard, "", 0))
	t.Cleanup(func() {
		for ss := range server.Sessions() {
			_ = ss.Close()
		}
	})
	ctx := context.Background()
	clock := time.Now()
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	open := func(subject string) (*openSession, *liveSession) {
		ex := initializeExchange(t, subject, "c", initParams)
		if v := s.create(ctx, ex); v != nil {
			t.Fatal(v.message)
		}
		ls, err := s.acquire(ex.session)
		if err != nil {
			t.Fatal(err)
		}
		return ex.session, ls
	}
	busySession, busy := open("busy") // oldest, but serving (a GET stream)
	oldSession, old := open("old")
	s.release(old)
	_, recent := open("recent") // at the cap: "old" is the idle one evicted
	s.release(recent)
	waitClosed(t, old)
	if s.held() != 2 {
		t.Fatalf("held %d, want 2", s.held())
	}
	if _, ok := s.live[busySession.handle]; !ok {
		t.Fatal("a busy session was evicted")
	}

	again, err := s.acquire(oldSession) // its next request: adopted again
	if err != nil {
		t.Fatal(err)
	}
	defer s.release(again)
	if again == old {
		t.Fatal("the evicted SDK session was reused")
	}
	want := oldSession.sdkState()
	got := again.ss.InitializeParams()
	if got == nil || got.ProtocolVersion != want.InitializeParams.ProtocolVersion || got.ClientInfo.Name != want.InitializeParams.ClientInfo.Name {
		t.Fatalf("re-adopted with %+v, want %+v", got, want.InitializeParams)
	}
	if _, ok := s.live[busySession.handle]; !ok {
		t.Fatal("a busy session was evicted")
	}
	s.release(busy)
}

// TestAdoptTombstones: in adopt mode (replicas without a shared store) an
// ended session is refused by the replica that ended it until its id
// expires, whether this replica had adopted it or not; the tombstones are
// dropped once the id has expired and stay within maxTombstones.
func TestAdoptTombstones(t *testing.T) {
	ctx := context.Background()
	cfg := SessionConfig{IdleTimeout: time.Hour, MaxLifetime: 2 * time.Hour, MaxPerSubject: 10, MaxTotal: 10}
	m := newMemorySessions(true)
	now := time.Now()
	m.now = func() time.Time { return now }
	server := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	sealer := testSealer(t, time.Hour, keyA)
	other := newSessions(server, sealer, newMemorySessions(true), cfg, log.New(io.Discard, "", 0)) // another replica
	opened := func(subject string) *openSession {
		ex := initializeExchange(t, subject, "c", initParams)
		if v := other.create(ctx, ex); v != nil {
			t.Fatal(v.message)
		}
		return ex.session
	}
	held, stranger := opened("alice"), opened("bob") // stranger: never seen here
	if v, err := m.use(ctx, cfg, held); v != nil || err != nil {
		t.Fatalf("adopt: %v %v", v, err)
	}
	m.end(ctx, held)
	m.end(ctx, stranger)
	for _, s := range []*openSession{held, stranger} {
		if _, err := m.use(ctx, cfg, s); err != errSessionEnded {
			t.Fatalf("%s after DELETE: %v, want errSessionEnded", s.handle, err)
		}
	}
	now = time.Unix(held.state.Issued, 0).Add(cfg.MaxLifetime + time.Second) // the ids have expired (the sealer refuses them now)
	m.alive(ctx, cfg, nil)
	if len(m.ended) != 0 {
		t.Fatalf("%d tombstones kept after the ids expired", len(m.ended))
	}
	for i := range maxTombstones + 10 {
		m.buryLocked(fmt.Sprint("h", i), now.Unix(), fmt.Sprint("subject-", i%200))
	}
	if len(m.ended) > maxTombstones {
		t.Fatalf("%d tombstones, cap %d", len(m.ended), maxTombstones)
	}
}
