package gateway

import (
	"fmt"
	"testing"
	"time"
)

// TestAdoptedSessionsWithinCapsAttack3: in adopt mode (replicas without a
// shared store) a session adopted on another replica counts against that
// replica's caps (MaxPerSubject, MaxTotal): one subject that creates
// sessions on replica A, uses each once on replica B and deletes it on A
// (a DELETE ends it only where it was received) cannot fill B's MaxTotal
// and lock every other subject out of B.
func TestAdoptedSessionsWithinCapsAttack3(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	a, b := newMemorySessions(true), newMemorySessions(true)
	a.now = func() time.Time { return now }
	b.now = a.now
	cfg := SessionConfig{IdleTimeout: 30 * time.Minute, MaxLifetime: 24 * time.Hour, MaxPerSubject: 100, MaxTotal: 10_000}
	ctx := t.Context()
	for i := range cfg.MaxTotal {
		s := &openSession{id: fmt.Sprint("m-", i), handle: fmt.Sprint("m-", i), state: sessionState{Subject: []byte("mallory"), Issued: now.Unix()}}
		if v := a.reserve(ctx, cfg, s); v != nil { // initialize on A
			t.Fatalf("A refused mallory's session %d: %s", i, v.message)
		}
		v, err := b.use(ctx, cfg, s) // one request on B: adopted within B's caps
		switch {
		case err != nil:
			t.Fatalf("B: mallory's session %d: %v", i, err)
		case i < cfg.MaxPerSubject && v != nil:
			t.Fatalf("B refused mallory's session %d within the cap: %s", i, v.message)
		case i >= cfg.MaxPerSubject && v == nil:
			t.Fatalf("B adopted mallory's session %d, over the per-subject cap %d", i, cfg.MaxPerSubject)
		}
		a.end(ctx, s) // DELETE on A
	}
	alice := &openSession{id: "alice", handle: "alice", state: sessionState{Subject: []byte("alice"), Issued: now.Unix()}}
	t.Logf("B holds %d sessions of mallory (per-subject cap %d)", b.perSubject[(&openSession{state: sessionState{Subject: []byte("mallory")}}).subjectKey()], cfg.MaxPerSubject)
	if v := b.reserve(ctx, cfg, alice); v != nil {
		t.Fatalf("alice's first session on B refused (%s): one other subject holds all of B's %d sessions", v.message, cfg.MaxTotal)
	}
}
