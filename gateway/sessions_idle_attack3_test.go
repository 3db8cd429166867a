package gateway_test

import (
	"bufio"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway"
)

// TestSessionWithOpenStreamNotIdleAttack3: regression test (attack round 3) for the session
// handler "serves admitted requests the way the SDK's handler does": the
// SDK counts a hanging GET as a request in progress (sessionInfo.startPOST
// for every request with a session id, so its idle timer is stopped), but
// tracegate's store refreshes a session's last-seen time only when a request
// is admitted, so a client that only listens on its GET stream (for
// list_changed) has its session expired under it after IdleTimeout: the
// stream is cut and the session answers 404.
func TestSessionWithOpenStreamNotIdleAttack3(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) { o.Config.Sessions.IdleTimeout = 2 * time.Second })
	c := &rawClient{url: pe.url, token: pe.token}
	c.initialize(t)
	req, _ := http.NewRequest(http.MethodGet, pe.url+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Mcp-Session-Id", c.session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %v %v", err, resp)
	}
	defer resp.Body.Close()
	ended := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
		close(ended)
	}()
	select {
	case <-ended:
		t.Errorf("the GET stream of a session in use was cut after the idle timeout")
	case <-time.After(7 * time.Second):
	}
	if r := c.post(t, "ping", map[string]any{}); r.Status != http.StatusOK {
		t.Errorf("after 7 s with its GET stream open (idle timeout 2 s), the session answers %s", r)
	}
}
