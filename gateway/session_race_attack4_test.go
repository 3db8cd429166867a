package gateway_test

import (
	"net/http"
	"sync"
	"testing"
)

// TestSessionForeignDeleteGetAttack4: right after initialize, another
// principal's GET and DELETE on the owner's session id are refused 404,
// and the owner's session keeps working; concurrent first requests by the
// owner and a thief on the fresh session: only the owner's succeed.
func TestSessionForeignDeleteGetAttack4(t *testing.T) {
	pe := newProbeEnv(t)
	owner := &rawClient{url: pe.url, token: pe.tokenFor(t, "alice", "agent")}
	owner.initialize(t)
	thief := &rawClient{url: pe.url, token: pe.tokenFor(t, "mallory", "agent"), session: owner.session}
	del := func(r *http.Request) { r.Method = http.MethodDelete }
	if r := thief.post(t, "ping", map[string]any{}, del); r.Status != http.StatusNotFound {
		t.Errorf("thief DELETE on owner's session: %d, want 404", r.Status)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := owner
			if i%2 == 1 {
				c = thief
			}
			r := c.post(t, "ping", map[string]any{})
			mu.Lock()
			defer mu.Unlock()
			if c == thief && r.Status != http.StatusNotFound {
				bad = append(bad, "thief ping got "+http.StatusText(r.Status))
			}
			if c == owner && r.Status != http.StatusOK {
				bad = append(bad, "owner ping got "+http.StatusText(r.Status))
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%v", bad)
	}
	if r := owner.callTool(t, "probe.Probe.Read", map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("owner's session broken after thief attempts: %s", r)
	}
}

// TestSessionDeleteRaceAttack4: DELETE racing requests of the same session:
// after DELETE has answered 204, no request of the session is answered 200.
func TestSessionDeleteRaceAttack4(t *testing.T) {
	pe := newProbeEnv(t)
	for round := range 5 {
		owner := &rawClient{url: pe.url, token: pe.tokenFor(t, "alice", "agent")}
		owner.initialize(t)
		del := func(r *http.Request) { r.Method = http.MethodDelete }
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); owner.callTool(t, "probe.Probe.Read", map[string]any{}) }()
		}
		if r := owner.post(t, "ping", map[string]any{}, del); r.Status != http.StatusNoContent {
			t.Logf("round %d: DELETE %d", round, r.Status)
		}
		wg.Wait()
		if r := owner.post(t, "ping", map[string]any{}); r.Status != http.StatusNotFound {
			t.Fatalf("round %d: request after DELETE answered %d, want 404", round, r.Status)
		}
		if r := owner.callTool(t, "probe.Probe.Read", map[string]any{}); r.Status != http.StatusNotFound {
			t.Fatalf("round %d: tool call after DELETE answered %d, want 404", round, r.Status)
		}
	}
}
