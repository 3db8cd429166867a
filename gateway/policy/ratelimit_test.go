package policy

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newMem(t testing.TB, cfg RateLimitConfig, now *time.Time) *MemoryLimiter {
	t.Helper()
	l, err := NewMemoryLimiter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if now != nil {
		l.now = func() time.Time { return *now }
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

type limitStep struct {
	account, tool string
	advance       time.Duration
	allowed       bool
	kind          LimitKind
}

func limiterScenarios() []struct {
	name  string
	cfg   RateLimitConfig
	steps []limitStep
} {
	tool := DefaultRateLimitConfig()
	tool.Tools = []ToolLimit{{Tool: "posts.*", Limit: Limit{Rate: 1, Burst: 2}}}
	acct := DefaultRateLimitConfig()
	acct.Account = Limit{Rate: 1, Burst: 2}
	at := DefaultRateLimitConfig()
	at.AccountTool = []ToolLimit{{Tool: "*", Limit: Limit{Rate: 1, Burst: 1}}}
	both := DefaultRateLimitConfig()
	both.Account = Limit{Rate: 0.001, Burst: 2}
	both.AccountTool = []ToolLimit{{Tool: "*", Limit: Limit{Rate: 0.001, Burst: 1}}}
	return []struct {
		name  string
		cfg   RateLimitConfig
		steps []limitStep
	}{
		{"off", DefaultRateLimitConfig(), []limitStep{{"a", "t", 0, true, ""}, {"a", "t", 0, true, ""}}},
		{"tool", tool, []limitStep{
			{"alice", "posts.A", 0, true, ""},
			{"bob", "posts.A", 0, true, ""},
			{"carol", "posts.A", 0, false, KindTool}, // shared by all accounts
			{"carol", "posts.B", 0, true, ""},        // each tool has its own bucket
			{"carol", "users.A", 0, true, ""},        // unmatched: unlimited
			{"carol", "posts.A", time.Second, true, ""},
		}},
		{"account", acct, []limitStep{
			{"alice", "A", 0, true, ""},
			{"alice", "B", 0, true, ""},
			{"alice", "C", 0, false, KindAccount},
			{"bob", "A", 0, true, ""},
		}},
		{"account_tool", at, []limitStep{
			{"alice", "A", 0, true, ""},
			{"alice", "A", 0, false, KindAccountTool},
			{"alice", "B", 0, true, ""},
			{"bob", "A", 0, true, ""},
		}},
		{"denial does not consume other buckets", both, []limitStep{
			{"alice", "A", 0, true, ""},               // account 1 left, alice×A 0 left
			{"alice", "A", 0, false, KindAccountTool}, // account reservation given back
			{"alice", "B", 0, true, ""},               // so this still fits: account 0 left
			{"alice", "C", 0, false, KindAccount},
		}},
	}
}

func TestMemoryLimiter(t *testing.T) {
	for _, sc := range limiterScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			now := time.Unix(1_700_000_000, 0)
			l := newMem(t, sc.cfg, &now)
			for i, s := range sc.steps {
				now = now.Add(s.advance)
				o := l.Allow(t.Context(), s.account, s.tool)
				if o.Allowed != s.allowed || (!s.allowed && o.Kind != s.kind) {
					t.Fatalf("step %d %+v: got %+v", i, s, o)
				}
				if !o.Allowed && (o.RetryAfter <= 0 || o.Burst == 0 || o.Limit == 0 || !errors.Is(o.AsError(), ErrRateLimited)) {
					t.Fatalf("step %d: incomplete denial %+v", i, o)
				}
			}
		})
	}
}

func TestMemoryLimiterBounded(t *testing.T) {
	cfg := DefaultRateLimitConfig()
	cfg.Account = Limit{Rate: 1, Burst: 1}
	cfg.MaxEntries = 100
	l := newMem(t, cfg, nil)
	for i := range 10_000 {
		l.Allow(t.Context(), fmt.Sprint("acct-", i), "t")
	}
	if l.Len() > 100 {
		t.Fatalf("Len = %d, want <= 100", l.Len())
	}
}

func TestMemoryLimiterConcurrentSafe(t *testing.T) {
	cfg := DefaultRateLimitConfig()
	cfg.Tools = []ToolLimit{{Tool: "t", Limit: Limit{Rate: 0.001, Burst: 50}}}
	cfg.Account = Limit{Rate: 1000, Burst: 1000}
	l := newMem(t, cfg, nil)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if l.Allow(t.Context(), fmt.Sprint("acct-", g), "t").Allowed {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Fatalf("allowed %d calls, want exactly the burst of 50", got)
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	cfg := DefaultRateLimitConfig()
	cfg.Tools = []ToolLimit{{Tool: "posts.*", Limit: Limit{Rate: 1e9, Burst: 1 << 30}}}
	cfg.Account = Limit{Rate: 1e9, Burst: 1 << 30}
	cfg.AccountTool = []ToolLimit{{Tool: "*", Limit: Limit{Rate: 1e9, Burst: 1 << 30}}}
	l := newMem(b, cfg, nil)
	accounts := make([]string, 1024)
	for i := range accounts {
		accounts[i] = fmt.Sprint("acct-", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if !l.Allow(b.Context(), accounts[i&1023], "posts.Posts.Create").Allowed {
				b.Fatal("denied")
			}
			i++
		}
	})
}

// BenchmarkLimiterMemory1MAccounts reports the heap held by per-account
// buckets for one million distinct accounts.
func BenchmarkLimiterMemory1MAccounts(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		cfg := DefaultRateLimitConfig()
		cfg.Account = Limit{Rate: 10, Burst: 20}
		cfg.MaxEntries = n * 11 / 10 // shards fill unevenly; keep every account
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		l, err := NewMemoryLimiter(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			l.Allow(b.Context(), "account-"+fmt.Sprint(i), "posts.Posts.Create")
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if l.Len() != n {
			b.Fatalf("Len = %d", l.Len())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/account")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/1M")
		runtime.KeepAlive(l)
	}
}
