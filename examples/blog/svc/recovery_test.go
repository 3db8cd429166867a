package svc_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// events is an sdklog exporter that keeps every record's name and
// attributes, and wakes a waiter on each.
type events struct {
	mu     sync.Mutex
	recs   []map[string]string
	signal chan struct{}
}

func newEvents(t *testing.T) (*events, *sdklog.LoggerProvider) {
	e := &events{signal: make(chan struct{}, 1)}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(e)))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	return e, lp
}

func (e *events) Export(_ context.Context, recs []sdklog.Record) error {
	e.mu.Lock()
	for _, r := range recs {
		m := map[string]string{"name": r.EventName()}
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			m[string(kv.Key)] = kv.Value.Emit()
			return true
		})
		e.recs = append(e.recs, m)
	}
	e.mu.Unlock()
	select {
	case e.signal <- struct{}{}:
	default:
	}
	return nil
}

func (e *events) Shutdown(context.Context) error   { return nil }
func (e *events) ForceFlush(context.Context) error { return nil }

// find returns the records named name whose attributes include want.
func (e *events) find(name string, want map[string]string) []map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []map[string]string
next:
	for _, r := range e.recs {
		if r["name"] != name {
			continue
		}
		for k, v := range want {
			if r[k] != v {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// waitFor waits, generously (this is no timing check), for a record.
func (e *events) waitFor(t *testing.T, name string, want map[string]string) map[string]string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if got := e.find(name, want); len(got) > 0 {
			return got[0]
		}
		select {
		case <-e.signal:
		case <-deadline:
			t.Fatalf("no %s event with %v", name, want)
		}
	}
}

// countingRegistry counts lookups per service.
type countingRegistry struct {
	registry.Registry
	mu      sync.Mutex
	lookups map[string]int
}

func (c *countingRegistry) GetService(name string, opts ...registry.GetOption) ([]*registry.Service, error) {
	c.mu.Lock()
	c.lookups[name]++
	c.mu.Unlock()
	return c.Registry.GetService(name, opts...)
}

func (c *countingRegistry) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookups[name]
}

// startSvc builds and starts a blog service and stops it at cleanup.
func startSvc(t testing.TB, newSvc func(svc.Options) (*svc.Service, error), o svc.Options) *svc.Service {
	t.Helper()
	if o.Logger == nil {
		o.Logger = microkittest.QuietLogger()
	}
	s, err := newSvc(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		_ = s.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func testClient(t *testing.T, reg registry.Registry) *microkit.Client {
	t.Helper()
	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// seedPost creates user-1 and post-1 by that author.
func seedPost(t *testing.T, cli client.Client) string {
	t.Helper()
	ctx := context.Background()
	u, err := users.NewClient(cli).Create(ctx, &users.CreateRequest{Name: "Ada", Email: "ada@example.com"}, client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	p, err := posts.NewClient(cli).Create(ctx, &posts.CreateRequest{Title: "t", Body: "b", AuthorID: u.User.ID}, client.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	return p.Post.ID
}

// posts declares that its endpoints call users.Users.Read (tool.Calls), so
// its Start looks users up and the first posts → users call finds it in the
// cache (a NATS lookup would wait its 100 ms query timeout there).
func TestFirstCallNeedsNoLookup(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	startSvc(t, users.New, svc.Options{Registry: reg})
	counted := &countingRegistry{Registry: reg, lookups: map[string]int{}}
	startSvc(t, posts.New, svc.Options{Registry: counted})
	warmed := counted.count(users.Name)
	if warmed == 0 {
		t.Fatal("posts did not look users up before serving")
	}
	cli := testClient(t, reg)
	postID := seedPost(t, cli) // posts.Create reads the author from users
	if _, err := posts.NewClient(cli).Read(context.Background(), &posts.ReadRequest{ID: postID}, client.WithRetries(0)); err != nil {
		t.Fatal(err)
	}
	if n := counted.count(users.Name); n != warmed {
		t.Fatalf("posts looked users up %d more time(s) while serving calls, want 0", n-warmed)
	}
}

// A crashed users (connections cut, node still registered) restarted on a
// new port: posts sees the registry update, drops the dead node, and calls
// succeed again; a call that fails meanwhile names no internal address.
func TestRestartedDependency(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	crash := microkittest.NewCrashTransport()
	first := startSvc(t, users.New, svc.Options{Registry: microkittest.KeepRegistered(reg),
		ServerOptions: []microkit.Option{microkit.WithTransport(crash)}})
	ev, lp := newEvents(t)
	startSvc(t, posts.New, svc.Options{Registry: reg, LoggerProvider: lp})
	cli := testClient(t, reg)
	postID := seedPost(t, cli)
	pc := posts.NewClient(cli)
	ctx := context.Background()
	if _, err := pc.Read(ctx, &posts.ReadRequest{ID: postID}, client.WithRetries(0)); err != nil {
		t.Fatal(err)
	}
	oldAddr := first.Address()
	if err := first.Server().Stop(); err != nil {
		t.Fatal(err)
	}
	crash.Cut()

	// Before the restart: unavailable, without the address.
	_, err := pc.Read(ctx, &posts.ReadRequest{ID: postID}, client.WithRetries(0))
	if err == nil || !strings.Contains(err.Error(), "service users unavailable") || strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("read with users down: %v; want %q without an address", err, "service users unavailable")
	}

	restarted := time.Now()
	startSvc(t, users.New, svc.Options{Registry: reg})
	ev.waitFor(t, "tracegate.registry.update", map[string]string{"rpc.service": users.Name, "tracegate.registry.action": "update"})
	// The new users starts empty: the same author again (ids are
	// deterministic), through the test client, which recovers as posts
	// does (its pooled connection to the dead users was cut too).
	for i := 0; ; i++ {
		_, err := users.NewClient(cli).Create(ctx, &users.CreateRequest{Name: "Ada", Email: "ada@example.com"}, client.WithRetries(0))
		if err == nil {
			break
		}
		if i == 20 || !microkit.IsUnavailable(err) {
			t.Fatalf("create the author again: %v", err)
		}
	}
	host, _, _ := strings.Cut(oldAddr, ":")
	dropped := map[string]string{"rpc.service": users.Name, "server.address": host}
	// posts's cache may hold the dead node beside the new one: call until
	// a call succeeded and the dead node was dropped.
	var recovered time.Duration
	for i := 0; i < 200 && (recovered == 0 || len(ev.find("tracegate.node.dropped", dropped)) == 0); i++ {
		_, err := pc.Read(ctx, &posts.ReadRequest{ID: postID}, client.WithRetries(0))
		switch {
		case err == nil && recovered == 0:
			recovered = time.Since(restarted)
		case err != nil && strings.Contains(err.Error(), "127.0.0.1"):
			t.Fatalf("client-visible error names an internal address: %v", err)
		}
	}
	if recovered == 0 {
		t.Fatal("posts never reached the restarted users")
	}
	drop := ev.waitFor(t, "tracegate.node.dropped", dropped)
	if !strings.Contains(drop["tracegate.error"], "connection refused") {
		t.Errorf("drop event error = %q", drop["tracegate.error"])
	}
	t.Logf("recovery: posts → users answered %v after the restart began", recovered)
}
