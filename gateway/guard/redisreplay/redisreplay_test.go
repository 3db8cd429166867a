package redisreplay_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/server"
	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/guard/guardtest"
	"github.com/tracegate/tracegate/gateway/guard/redisreplay"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, microkittest.IgnoreGoMicro()...) }

func TestStoreCountsAndExpires(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	s := redisreplay.New(rdb)
	ctx := t.Context()
	later := time.Now().Add(time.Minute)
	for i, want := range []int64{1, 2, 3} {
		if n, err := s.Use(ctx, "a", later); err != nil || n != want {
			t.Fatalf("use %d = %d, %v; want %d", i, n, err, want)
		}
	}
	pttl, err := rdb.PTTL(ctx, redisreplay.DefaultPrefix+"a").Result()
	if err != nil || pttl <= 0 || pttl > time.Minute {
		t.Fatalf("PTTL = %s, %v; want the identity's expiry", pttl, err)
	}
	// A key whose identity has expired is gone: it counts from 1 again.
	if n, _ := s.Use(ctx, "b", time.Now().Add(-time.Second)); n != 1 {
		t.Fatalf("b = %d", n)
	}
	if n, err := s.Use(ctx, "b", later); err != nil || n != 1 {
		t.Fatalf("b after expiry = %d, %v", n, err)
	}
	// Another prefix is another deployment.
	if n, _ := redisreplay.New(rdb, "other:").Use(ctx, "a", later); n != 1 {
		t.Fatalf("other prefix = %d", n)
	}
}

// TestSharedAcrossInstancesConcurrentSafe: two guard instances (two
// replicas of one service) sharing the store accept an entry-hop identity
// exactly once between them, however the presentations interleave.
func TestSharedAcrossInstancesConcurrentSafe(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	m, err := policy.NewMinter(guardtest.NewKey(t))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Mint(policy.IdentityRequest{Principal: policy.Principal{Subject: "alice"}, Tool: "posts.Posts.Create", Audience: "posts"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	reasons := map[reason.Reason]int{}
	var instances []server.HandlerWrapper
	for range 2 {
		instances = append(instances, guard.NewHandlerWrapper(guard.WithPublicKey(m.PublicKey()), guard.WithAudience("posts"), guard.WithReplayStore(redisreplay.New(rdb)),
			guard.WithDecisionHook(func(_ context.Context, d guard.Decision) {
				mu.Lock()
				reasons[d.Reason]++
				mu.Unlock()
			})))
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { _, _ = guardtest.Call(t.Context(), instances[i%2], "posts", "Posts.Create", tok) })
	}
	wg.Wait()
	if reasons[reason.Granted] != 1 || reasons[reason.IdentityReplayed] != 9 {
		t.Fatalf("decisions = %v, want 1 granted and 9 replayed", reasons)
	}
}

func TestRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	srv.Stop()
	if _, err := redisreplay.New(rdb).Use(t.Context(), "a", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("Use with Redis down: want an error")
	}
}
