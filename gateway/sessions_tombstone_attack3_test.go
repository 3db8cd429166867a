package gateway

import (
	"fmt"
	"testing"
	"time"
)

// TestTombstoneNotPurgedByOthersAttack3: regression test (attack round 3) for "a DELETE ... ends
// it on the replica that saw it, which keeps a tombstone of the handle until
// the id itself expires so that it never adopts that session again": in
// adopt mode (replicas without a shared store) any other subject, staying
// within its per-subject cap, creates and deletes sessions until the
// tombstone map (maxTombstones) is full; the next tombstone evicts the
// victim's (the soonest to expire), and the victim's deleted id is adopted
// again on the replica that received its DELETE. Each DELETE at the cap also
// scans every tombstone under the store's lock.
func TestTombstoneNotPurgedByOthersAttack3(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := newMemorySessions(true)
	m.now = func() time.Time { return now }
	cfg := SessionConfig{IdleTimeout: 30 * time.Minute, MaxLifetime: 24 * time.Hour, MaxPerSubject: 100, MaxTotal: 10_000}
	victim := &openSession{id: "victim-id", handle: "victim", state: sessionState{Subject: []byte("alice"), Issued: now.Add(-time.Minute).Unix()}}
	if v, err := m.use(t.Context(), cfg, victim); v != nil || err != nil { // adopted here
		t.Fatal(v, err)
	}
	m.end(t.Context(), victim) // the owner's DELETE, received by this replica
	if _, err := m.use(t.Context(), cfg, victim); err == nil {
		t.Fatal("the deleted session is served again before the attack")
	}
	var slowest time.Duration
	for i := range maxTombstones {
		s := &openSession{id: fmt.Sprint("m-", i), handle: fmt.Sprint("m-", i), state: sessionState{Subject: []byte("mallory"), Issued: now.Unix()}}
		if v := m.reserve(t.Context(), cfg, s); v != nil {
			t.Fatalf("session %d: %v", i, v.message)
		}
		start := time.Now()
		m.end(t.Context(), s) // mallory's DELETE
		slowest = max(slowest, time.Since(start))
	}
	start := time.Now()
	for i := range 50 { // churn at the cap: each DELETE scans the map
		s := &openSession{id: fmt.Sprint("x-", i), handle: fmt.Sprint("x-", i), state: sessionState{Subject: []byte("mallory"), Issued: now.Unix()}}
		m.reserve(t.Context(), cfg, s)
		m.end(t.Context(), s)
	}
	t.Logf("50 DELETEs at the cap: %v each on average", time.Since(start)/50)
	t.Logf("tombstones %d; slowest DELETE with the map at its cap: %v (under the store lock)", len(m.ended), slowest)
	if v, err := m.use(t.Context(), cfg, victim); v == nil && err == nil {
		t.Fatal("after another subject's create/delete churn, the victim's deleted session id is adopted again on the replica that received its DELETE")
	}
}
