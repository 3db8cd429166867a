package microkit_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// eventLog records a client's events and lets a test wait for one.
type eventLog struct {
	mu     sync.Mutex
	events []microkit.Event
	signal chan struct{}
}

func newEventLog() *eventLog { return &eventLog{signal: make(chan struct{}, 1)} }

func (l *eventLog) record(_ context.Context, e microkit.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

func (l *eventLog) snapshot() []microkit.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]microkit.Event(nil), l.events...)
}

func (l *eventLog) find(match func(microkit.Event) bool) (microkit.Event, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first microkit.Event
	n := 0
	for _, e := range l.events {
		if match(e) {
			if n == 0 {
				first = e
			}
			n++
		}
	}
	return first, n
}

// waitFor waits (generously: this is not a timing check) for an event that
// matches.
func (l *eventLog) waitFor(t *testing.T, what string, match func(microkit.Event) bool) microkit.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if e, n := l.find(match); n > 0 {
			return e
		}
		select {
		case <-l.signal:
		case <-deadline:
			t.Fatalf("no %s event; events: %+v", what, l.snapshot())
		}
	}
}

func eventClient(t *testing.T, reg registry.Registry) (*microkit.Client, *eventLog) {
	t.Helper()
	log := newEventLog()
	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()), microkit.WithEvents(log.record))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli, log
}

// deadNode registers an echo node whose address refuses connections: what
// the registry holds after a crash that skipped deregistration.
func deadNode(t *testing.T, reg registry.Registry, id string) *registry.Node {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	n := &registry.Node{Id: id, Address: addr, Metadata: map[string]string{"protocol": "mucp", "transport": "http"}}
	if err := reg.Register(&registry.Service{Name: "echo", Nodes: []*registry.Node{n}}); err != nil {
		t.Fatal(err)
	}
	return n
}

func echoCall(ctx context.Context, cli *microkit.Client) error {
	var rsp EchoResponse
	return cli.Call(ctx, cli.NewRequest("echo", "Echo.Say", &EchoRequest{Text: "x"}), &rsp, client.WithRetries(0))
}

func isAnnounced(id string) func(microkit.Event) bool {
	return func(e microkit.Event) bool {
		return e.Kind == microkit.EventRegistry && e.NodeID == id && (e.Action == "create" || e.Action == "update")
	}
}

func isDrop(id string) func(microkit.Event) bool {
	return func(e microkit.Event) bool { return e.Kind == microkit.EventNodeDropped && e.NodeID == id }
}

// A refused node is dropped and the call goes to the live one: no call
// fails, however often the selector picks the dead node first.
func TestFailoverFromRefusedNode(t *testing.T) {
	reg, _ := microkit.NewRegistry("", nil)
	cli, log := eventClient(t, reg)
	_ = cli.Warm("echo") // not there yet; opens the client's registry watch
	srv := startEcho(t, reg)
	dead := deadNode(t, reg, "echo-dead")
	// Both announcements are in, so none can revive the dropped node later.
	log.waitFor(t, "announcement of the live node", isAnnounced(srv.Options().Name+"-"+srv.Options().Id))
	log.waitFor(t, "announcement of the dead node", isAnnounced(dead.Id))
	ctx := context.Background()
	// Random selection: keep calling until the dead node was picked (each
	// call picks it with probability 1/2 until it is dropped).
	for i := 0; i < 200; i++ {
		if err := echoCall(ctx, cli); err != nil {
			t.Fatalf("call %d failed: %v", i, err)
		}
		if _, n := log.find(isDrop(dead.Id)); n > 0 {
			break
		}
	}
	e, n := log.find(isDrop(dead.Id))
	if n != 1 {
		t.Fatalf("dead node dropped %d times, want once; events %+v", n, log.snapshot())
	}
	if e.Service != "echo" || e.Address != dead.Address || !strings.Contains(e.Err.Error(), "connection refused") {
		t.Errorf("drop event = %+v", e)
	}
	for i := 0; i < 20; i++ {
		if err := echoCall(ctx, cli); err != nil {
			t.Fatalf("call after drop: %v", err)
		}
	}
	if _, n := log.find(isDrop(dead.Id)); n != 1 {
		t.Errorf("dropped node selected again (%d drops)", n)
	}
}

// With only a dead node, the call fails as unavailable; the next one fails
// fast without dialling it again, and its text names no address.
func TestOnlyRefusedNodeIsUnavailable(t *testing.T) {
	reg, _ := microkit.NewRegistry("", nil)
	cli, log := eventClient(t, reg)
	_ = cli.Warm("echo")
	dead := deadNode(t, reg, "echo-dead")
	log.waitFor(t, "announcement of the dead node", isAnnounced(dead.Id))
	ctx := context.Background()
	err := echoCall(ctx, cli)
	if !microkit.IsUnavailable(err) {
		t.Fatalf("first call err = %v, want unavailable", err)
	}
	err = echoCall(ctx, cli)
	if !microkit.IsUnavailable(err) || strings.Contains(err.Error(), dead.Address) {
		t.Fatalf("second call err = %v, want unavailable without the address", err)
	}
	if _, n := log.find(isDrop(dead.Id)); n != 1 {
		t.Fatalf("%d drops, want 1 (the second call must not dial the dropped node)", n)
	}
}

// A crash (connections cut, the node left registered), then a restart on a
// new port: the registry event for the new node is seen, the dead node is
// dropped, and calls succeed again. With pooled connections, a call that
// was sent on a connection the crash cut fails (as unavailable): it may
// have reached the service, so it is not re-sent. Reports the recovery.
func TestRestartRecovery(t *testing.T) {
	reg, _ := microkit.NewRegistry("", nil)
	tr := microkittest.NewCrashTransport()
	first := startEcho(t, microkittest.KeepRegistered(reg), microkit.WithTransport(tr))
	oldID := first.Options().Name + "-" + first.Options().Id
	cli, log := eventClient(t, reg)
	ctx := context.Background()
	if err := echoCall(ctx, cli); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil { // stops listening, stays registered
		t.Fatal(err)
	}
	tr.Cut()
	restarted := time.Now()
	startEcho(t, reg)
	log.waitFor(t, "registry update for the new node", func(e microkit.Event) bool {
		return e.Kind == microkit.EventRegistry && e.Service == "echo" && (e.Action == "create" || e.Action == "update")
	})
	var firstOK time.Duration
	failed := 0
	// The client's cache holds the dead node (and, once go-micro applied
	// the event, the new one too): call until the dead one was dropped.
	for i := 0; i < 200; i++ {
		if err := echoCall(ctx, cli); err != nil {
			failed++
			if !microkit.IsUnavailable(err) || failed > 1 {
				t.Fatalf("call %d after restart: %v (failure %d; want at most one, unavailable, for the one pooled connection)", i, err, failed)
			}
		} else if firstOK == 0 {
			firstOK = time.Since(restarted)
		}
		if _, n := log.find(isDrop(oldID)); n > 0 && firstOK > 0 {
			break
		}
	}
	if _, n := log.find(isDrop(oldID)); n != 1 {
		t.Fatalf("old node dropped %d times, want once; events %+v", n, log.snapshot())
	}
	if firstOK == 0 {
		t.Fatal("no call succeeded after the restart")
	}
	t.Logf("recovery: first successful call %v after the restart began; %d call(s) failed on the cut connection", firstOK, failed)
}

// A service looked up before it existed: go-micro's cache answers "not
// found" for up to 5 s after a failed lookup and ignores events for it. The
// registry's announcement makes the client look again.
func TestRefreshWhenAnnounced(t *testing.T) {
	reg, _ := microkit.NewRegistry("", nil)
	cli, log := eventClient(t, reg)
	ctx := context.Background()
	failed := time.Now()
	if err := echoCall(ctx, cli); !microkit.IsUnavailable(err) {
		t.Fatalf("call before start: %v, want unavailable", err)
	}
	startEcho(t, reg)
	log.waitFor(t, "registry update", func(e microkit.Event) bool {
		return e.Kind == microkit.EventRegistry && e.Service == "echo" && e.Action != "delete"
	})
	if err := echoCall(ctx, cli); err != nil {
		t.Fatalf("call after the announcement: %v", err)
	}
	if _, n := log.find(func(e microkit.Event) bool { return e.Kind == microkit.EventRefresh }); n != 1 {
		if time.Since(failed) < 5*time.Second { // go-micro's minimum retry interval had not passed
			t.Fatalf("%d refresh events, want 1", n)
		}
		t.Logf("slow machine: go-micro's own retry interval passed before the second call")
	}
}
