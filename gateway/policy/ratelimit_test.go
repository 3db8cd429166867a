package policy

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
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
		l.setClock(func() time.Time { return *now })
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// limitStep is one call and its expected outcome: kind is the refusing
// bucket, or on an allowed call the tightest one, with left tokens.
type limitStep struct {
	account, tool string
	advance       time.Duration
	allowed       bool
	kind          LimitKind
	left          int
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
		{"off", DefaultRateLimitConfig(), []limitStep{{"a", "t", 0, true, "", 0}, {"a", "t", 0, true, "", 0}}},
		{"tool", tool, []limitStep{
			{"alice", "posts.A", 0, true, KindTool, 1},
			{"bob", "posts.A", 0, true, KindTool, 0},
			{"carol", "posts.A", 0, false, KindTool, 0}, // shared by all accounts
			{"carol", "posts.B", 0, true, KindTool, 1},  // each tool has its own bucket
			{"carol", "users.A", 0, true, "", 0},        // unmatched: unlimited
			{"carol", "posts.A", time.Second, true, KindTool, 0},
		}},
		{"account", acct, []limitStep{
			{"alice", "A", 0, true, KindAccount, 1},
			{"alice", "B", 0, true, KindAccount, 0},
			{"alice", "C", 0, false, KindAccount, 0},
			{"bob", "A", 0, true, KindAccount, 1},
		}},
		{"account_tool", at, []limitStep{
			{"alice", "A", 0, true, KindAccountTool, 0},
			{"alice", "A", 0, false, KindAccountTool, 0},
			{"alice", "B", 0, true, KindAccountTool, 0},
			{"bob", "A", 0, true, KindAccountTool, 0},
		}},
		{"denial does not consume other buckets", both, []limitStep{
			{"alice", "A", 0, true, KindAccountTool, 0},  // account 1 left, alice×A 0 left: the tighter
			{"alice", "A", 0, false, KindAccountTool, 0}, // account reservation given back
			{"alice", "B", 0, true, KindAccount, 0},      // so this still fits; a tie goes to the first checked
			{"alice", "C", 0, false, KindAccount, 0},
		}},
	}
}

// checkStep compares an outcome with a step: allowed, kind, left, and for
// a denial a complete description with a retry-after.
func checkStep(t *testing.T, i int, s limitStep, o LimitOutcome) {
	t.Helper()
	if o.Allowed != s.allowed || o.Kind != s.kind || o.Remaining != s.left {
		t.Fatalf("step %d %+v: got %+v", i, s, o)
	}
	if s.kind != "" && (o.Burst == 0 || o.Limit == 0) {
		t.Fatalf("step %d: outcome without its bucket's limit: %+v", i, o)
	}
	if !o.Allowed && (o.RetryAfter <= 0 || !errors.Is(o.AsError(), ErrRateLimited)) {
		t.Fatalf("step %d: incomplete denial %+v", i, o)
	}
}

func TestMemoryLimiter(t *testing.T) {
	for _, sc := range limiterScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			now := time.Unix(1_700_000_000, 0)
			l := newMem(t, sc.cfg, &now)
			for i, s := range sc.steps {
				now = now.Add(s.advance)
				checkStep(t, i, s, l.Allow(t.Context(), s.account, s.tool))
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

// threeLimits has a tool, an account and an account×tool limit, generous
// enough that nothing is refused.
func threeLimits(maxEntries int) RateLimitConfig {
	cfg := DefaultRateLimitConfig()
	cfg.Tools = []ToolLimit{{Tool: "posts.*", Limit: Limit{Rate: 1e9, Burst: 1 << 30}}}
	cfg.Account = Limit{Rate: 10, Burst: 20}
	cfg.AccountTool = []ToolLimit{{Tool: "*", Limit: Limit{Rate: 10, Burst: 20}}}
	if maxEntries > 0 {
		cfg.MaxEntries = maxEntries
	}
	return cfg
}

// BenchmarkLimiterAllow is one Allow through three limiters (tool, account,
// account×tool) over 1024 accounts, from parallel callers.
func BenchmarkLimiterAllow(b *testing.B) {
	cfg := threeLimits(0)
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

// heapFor1M fills a fresh limiter with n accounts, each calling one tool
// through three limiters (so 2n+1 buckets), and returns the limiter and the
// live heap it added in bytes. The account names are built before the
// first measurement so that only the buckets are counted. The clock stands
// still: a bucket that has refilled is dropped (it equals an absent one), so
// on the real clock most of these would be gone before the count.
func heapFor1M(tb testing.TB, n int) (*MemoryLimiter, int64) {
	tb.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = "account-" + strconv.Itoa(i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := NewMemoryLimiter(threeLimits(2*n + n/2)) // shards fill unevenly; keep every bucket
	if err != nil {
		tb.Fatal(err)
	}
	frozen := time.Now()
	l.setClock(func() time.Time { return frozen })
	for _, a := range names {
		if !l.Allow(tb.Context(), a, "posts.Posts.Create").Allowed {
			tb.Fatalf("%s refused", a)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(names)
	return l, int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// BenchmarkLimiterMemory1MAccounts reports the heap held by the buckets of
// one million accounts through three limiters (2M+1 buckets).
func BenchmarkLimiterMemory1MAccounts(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		l, heap := heapFor1M(b, n)
		if l.Len() != 2*n+1 {
			b.Fatalf("Len = %d, want %d", l.Len(), 2*n+1)
		}
		b.ReportMetric(float64(heap)/n, "bytes/account")
		b.ReportMetric(float64(heap)/(1<<20), "MiB/1M")
		runtime.KeepAlive(l)
	}
}

// TestLimiterMemory1MAccounts holds one million accounts through three
// limiters in at most 64 MiB of heap (issue 13.3), a size, not a time.
func TestLimiterMemory1MAccounts(t *testing.T) {
	const n = 1_000_000
	l, heap := heapFor1M(t, n)
	if got := l.Len(); got != 2*n+1 {
		t.Fatalf("Len = %d, want %d: buckets were evicted", got, 2*n+1)
	}
	t.Logf("1M accounts, 3 limiters: %.1f MiB, %.1f bytes/account", float64(heap)/(1<<20), float64(heap)/n)
	if heap > 64<<20 {
		t.Fatalf("1M accounts hold %.1f MiB of heap, want <= 64 MiB", float64(heap)/(1<<20))
	}
	runtime.KeepAlive(l)
}

func TestMemoryLimiterNearest(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cfg := DefaultRateLimitConfig()
	cfg.Tools = []ToolLimit{{Tool: "posts.*", Limit: Limit{Rate: 0.001, Burst: 100}}}
	cfg.Account = Limit{Rate: 0.001, Burst: 5}
	cfg.AccountTool = []ToolLimit{{Tool: "posts.Posts.Create", Limit: Limit{Rate: 0.001, Burst: 3}}}
	l := newMem(t, cfg, &now)
	for range 3 {
		l.Allow(t.Context(), "alice", "posts.Posts.Create")
	}
	l.Allow(t.Context(), "bob", "posts.Posts.Read")
	want := []BucketState{
		{Kind: KindAccountTool, Account: "alice", Tool: "posts.Posts.Create", Limit: 0.001, Burst: 3, Tokens: 0},
		{Kind: KindAccount, Account: "alice", Limit: 0.001, Burst: 5, Tokens: 2},
		{Kind: KindAccount, Account: "bob", Limit: 0.001, Burst: 5, Tokens: 4},
	}
	got := l.Nearest(3)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Nearest(3) =\n%+v\nwant\n%+v", got, want)
	}
	if o := l.Allow(t.Context(), "alice", "posts.Posts.Create"); o.Allowed || o.Kind != KindAccountTool {
		t.Fatalf("4th call: %+v", o)
	}
	// The refused 4th call gave its tool token back: 97 left. posts.* gives
	// each matching tool its own bucket.
	want = append(want,
		BucketState{Kind: KindTool, Tool: "posts.Posts.Create", Limit: 0.001, Burst: 100, Tokens: 97},
		BucketState{Kind: KindTool, Tool: "posts.Posts.Read", Limit: 0.001, Burst: 100, Tokens: 99})
	if all := l.Nearest(10); fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("Nearest(10) =\n%+v\nwant\n%+v", all, want)
	}
}
