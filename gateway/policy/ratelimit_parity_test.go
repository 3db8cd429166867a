package policy

import (
	"fmt"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/redistest"
)

// parityScenarios add to limiterScenarios the cases where Lua float
// arithmetic and integer nanoseconds could part ways: intervals that are not
// dyadic fractions of a second, burst 1 behind a peek, refill after a pause.
func parityScenarios() []struct {
	name  string
	cfg   RateLimitConfig
	steps []limitStep
} {
	odd := DefaultRateLimitConfig()
	odd.Account = Limit{Rate: 0.7, Burst: 3}
	odd.AccountTool = []ToolLimit{{Tool: "*", Limit: Limit{Rate: 0.3, Burst: 1}}}
	refill := DefaultRateLimitConfig()
	refill.Tools = []ToolLimit{{Tool: "t", Limit: Limit{Rate: 1, Burst: 2}}}
	refill.Account = Limit{Rate: 0.01, Burst: 100}
	sc := limiterScenarios()
	return append(sc, []struct {
		name  string
		cfg   RateLimitConfig
		steps []limitStep
	}{
		{"non-dyadic interval, burst 1 behind a peek", odd, []limitStep{
			{"alice", "A", 0, true, KindAccountTool, 0},
			{"alice", "A", 0, false, KindAccountTool, 0},
			{"alice", "B", 0, true, KindAccountTool, 0},
			{"alice", "C", 0, true, KindAccount, 0},
			{"alice", "D", 0, false, KindAccount, 0},
			{"bob", "A", 0, true, KindAccountTool, 0},
		}},
		{"refill after a pause", refill, []limitStep{
			{"alice", "t", 0, true, KindTool, 1},
			{"bob", "t", 0, true, KindTool, 0},
			{"carol", "t", 0, false, KindTool, 0},
			{"carol", "t", 1500 * time.Millisecond, true, KindTool, 0}, // 1.5 tokens back
			{"alice", "t", 0, false, KindTool, 0},
		}},
	}...)
}

// TestLimiterParityMemoryRedis runs the memory and the Redis limiter side by
// side on the same sequence of calls, on the real clock (Redis has no other),
// and requires identical outcomes: allowed, kind, limit, burst, tokens left;
// both retry-afters positive and at most one interval of the refusing bucket.
// Pauses are real sleeps placed half an interval from any refill boundary.
func TestLimiterParityMemoryRedis(t *testing.T) {
	r := redistest.Start(t)
	c := r.Client(t)
	for i, sc := range parityScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			mem := newMem(t, sc.cfg, nil)
			red := newRedisLim(t, c, sc.cfg, WithKeyPrefix(fmt.Sprintf("parity%d:", i)), WithRedisTimeout(5*time.Second))
			for j, s := range sc.steps {
				time.Sleep(s.advance)
				om := mem.Allow(t.Context(), s.account, s.tool)
				or := red.Allow(t.Context(), s.account, s.tool)
				if or.Err != nil {
					t.Fatal(or.Err)
				}
				checkStep(t, j, s, om)
				checkStep(t, j, s, or)
				if !s.allowed {
					interval := time.Duration(float64(time.Second) / om.Limit)
					if om.RetryAfter > interval || or.RetryAfter > interval {
						t.Fatalf("step %d: retry-after beyond one interval %s: memory %s, redis %s", j, interval, om.RetryAfter, or.RetryAfter)
					}
				}
			}
		})
	}
}
