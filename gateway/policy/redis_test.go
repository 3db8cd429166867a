package policy

import (
	"github.com/tracegate/tracegate/internal/redistest"

	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func newRedisLim(t testing.TB, c redis.UniversalClient, cfg RateLimitConfig, opts ...RedisOption) *RedisLimiter {
	t.Helper()
	l, err := NewRedisLimiter(c, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestRedisLimiterSharedBudget(t *testing.T) {
	r := redistest.Start(t)
	cfg := DefaultRateLimitConfig()
	cfg.Tools = []ToolLimit{{Tool: "posts.Posts.Create", Limit: Limit{Rate: 0.01, Burst: 5}}}
	replicas := []*RedisLimiter{
		newRedisLim(t, r.Client(t), cfg, WithRedisTimeout(time.Second)),
		newRedisLim(t, r.Client(t), cfg, WithRedisTimeout(time.Second)),
	}
	allowed := 0
	for i := range 20 {
		o := replicas[i%2].Allow(t.Context(), fmt.Sprint("acct-", i), "posts.Posts.Create")
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if o.Allowed {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("two replicas allowed %d calls, want the shared burst of 5", allowed)
	}
}

func TestRedisLimiterFailMode(t *testing.T) {
	r := redistest.Start(t)
	c := r.Client(t)
	cfg := DefaultRateLimitConfig()
	cfg.Account = Limit{Rate: 100, Burst: 100}
	// A generous timeout: this test is about the fail mode (the short
	// default is TestRedisLimiterTimeout's), and a loaded machine under
	// -race can take longer than the default timeout for a healthy Redis round trip.
	open := newRedisLim(t, c, cfg, WithFailMode(FailOpen), WithRedisTimeout(5*time.Second))
	closed := newRedisLim(t, c, cfg, WithFailMode(FailClosed), WithRedisTimeout(5*time.Second))
	if o := closed.Allow(t.Context(), "alice", "t"); !o.Allowed || o.Err != nil {
		t.Fatalf("redis up: %+v", o)
	}
	r.Stop()
	tests := []struct {
		name    string
		l       *RedisLimiter
		allowed bool
	}{{"open", open, true}, {"closed", closed, false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.l.Allow(t.Context(), "alice", "t")
			if o.Allowed != tt.allowed || o.Err == nil {
				t.Fatalf("redis down: %+v", o)
			}
			if !tt.allowed && !errors.Is(o.AsError(), ErrLimiterUnavailable) {
				t.Fatalf("AsError = %v", o.AsError())
			}
		})
	}
}

func TestRedisLimiterTimeout(t *testing.T) {
	// A listener that accepts and never answers: the short timeout decides.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					_ = c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true, MaxRetries: -1, Protocol: 2, DisableIdentity: true})
	cfg := DefaultRateLimitConfig()
	cfg.Account = Limit{Rate: 1, Burst: 1}
	l := newRedisLim(t, c, cfg, WithRedisTimeout(50*time.Millisecond), WithFailMode(FailClosed))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	o := l.Allow(ctx, "alice", "t")
	if took := time.Since(start); took > time.Second || o.Allowed || o.Err == nil {
		t.Fatalf("hung backend: %+v after %s", o, took)
	}
	_ = c.Close()
	_ = ln.Close()
	<-done
}
