package gateway_test

import (
	"net/http"
	"testing"

	"github.com/tracegate/tracegate/gateway"
)

// TestDeletedSessionStaysEndedWithoutStore: with replicas > 1 and no
// shared session store (the --allow-local-limits deployment, where a
// session ended on one replica may still be served by another), the
// replica that received the DELETE refuses the id from then on: it keeps a
// tombstone rather than adopting the session again, so a captured id is
// not usable there after the owner ended it.
func TestDeletedSessionStaysEndedWithoutStore(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.Replicas = 2
		o.Config.ReplicaID = "r1"
		o.Config.Sessions.KeyFile = writeKey(t, t.TempDir(), "session.key")
		o.SessionStore = nil
	})
	c := &rawClient{url: pe.url, token: pe.token}
	c.initialize(t)
	if r := c.post(t, "ping", map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("ping on the new session: %s", r)
	}
	if status := deleteSession(t, pe.url, pe.token, c.session); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d", status)
	}
	// Same replica, same principal, the deleted id.
	if r := c.post(t, "ping", map[string]any{}); r.Status != http.StatusNotFound {
		t.Fatalf("the session deleted on this replica is served again by it: %s", r)
	}
}
