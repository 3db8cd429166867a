package guard_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
)

func TestMemoryReplayStore(t *testing.T) {
	s := guard.NewMemoryReplayStore(2)
	ctx := t.Context()
	later := time.Now().Add(time.Hour)
	for i, want := range []int64{1, 2, 3} {
		if n, err := s.Use(ctx, "a", later); err != nil || n != want {
			t.Fatalf("use %d of a = %d, %v; want %d", i, n, err, want)
		}
	}
	if n, err := s.Use(ctx, "b", later); err != nil || n != 1 {
		t.Fatalf("b = %d, %v", n, err)
	}
	// Full of live keys: a new key is refused, never let in by evicting one.
	_, err := s.Use(ctx, "c", later)
	var ra interface{ RetryAfter() time.Duration }
	if !errors.Is(err, guard.ErrReplayCacheFull) || !errors.As(err, &ra) || ra.RetryAfter() <= 0 || ra.RetryAfter() > time.Hour {
		t.Fatalf("full store: %v", err)
	}
	if n, err := s.Use(ctx, "a", later); err != nil || n != 4 {
		t.Fatalf("a after refusal = %d, %v", n, err)
	}

	// An expired key is dropped at the next Use and counts from 1 again.
	e := guard.NewMemoryReplayStore(1)
	if n, _ := e.Use(ctx, "x", time.Now().Add(-time.Second)); n != 1 {
		t.Fatalf("x = %d", n)
	}
	if n, err := e.Use(ctx, "y", later); err != nil || n != 1 || e.Len() != 1 {
		t.Fatalf("y after x expired = %d, %v (len %d)", n, err, e.Len())
	}
}

func TestMemoryReplayStoreConcurrentSafe(t *testing.T) {
	s := guard.NewMemoryReplayStore(0)
	later := time.Now().Add(time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := map[string]int{}
	for range 8 {
		wg.Go(func() {
			for _, k := range []string{"a", "b", "c", "d"} {
				n, err := s.Use(t.Context(), k, later)
				if err != nil {
					t.Error(err)
				}
				if n == 1 {
					mu.Lock()
					firsts[k]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, k := range []string{"a", "b", "c", "d"} {
		if firsts[k] != 1 {
			t.Fatalf("key %s had %d first uses", k, firsts[k])
		}
	}
}

// TestReplayCacheFullRefuses: a guard whose store is full of live
// identities refuses new ones with a retry-after (fail closed) rather than
// forgetting an identity that could then be replayed.
func TestReplayCacheFullRefuses(t *testing.T) {
	m := mustMinter(t, newKey(t))
	h := newHarness(t, guard.WithPublicKey(m.PublicKey()), guard.WithReplayCacheSize(1))
	first := mint(t, m, "posts.Posts.Create", "posts")
	if d, _ := h.present(t, "posts", "Posts.Create", first); !d.Allowed {
		t.Fatalf("first: %+v", d)
	}
	d, _ := h.present(t, "posts", "Posts.Create", mint(t, m, "posts.Posts.Create", "posts"))
	if d.Code != 429 || d.Reason != reason.RateLimited || d.RetryAfter <= 0 || !errors.Is(d.Err, guard.ErrReplayCacheFull) {
		t.Fatalf("second with a full cache: %+v", d)
	}
	if d, _ := h.present(t, "posts", "Posts.Create", first); d.Reason != reason.IdentityReplayed {
		t.Fatalf("first again: %+v", d)
	}
}

// failingStore is a shared store that is down.
type failingStore struct{}

func (failingStore) Use(_ context.Context, _ string, _ time.Time) (int64, error) {
	return 0, errors.New("connection refused")
}

func TestReplayStoreFailureFailsClosed(t *testing.T) {
	m := mustMinter(t, newKey(t))
	h := newHarness(t, guard.WithPublicKey(m.PublicKey()), guard.WithReplayStore(failingStore{}))
	d, _ := h.present(t, "posts", "Posts.Create", mintReq(t, m, policy.IdentityRequest{Tool: "posts.Posts.Create", Audience: "posts"}))
	if d.Allowed || d.Code != 503 || d.Reason != reason.Internal || !errors.Is(d.Err, guard.ErrReplayStore) {
		t.Fatalf("decision = %+v", d)
	}
}
