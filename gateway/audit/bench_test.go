package audit

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func BenchmarkRecord(b *testing.B) {
	priv, _ := newKey(b)
	for _, mode := range []Mode{ModeStrict, ModeBlocking, ModeBatch} {
		b.Run(string(mode), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Mode = mode
			cfg.File.Path = filepath.Join(b.TempDir(), "audit.jsonl")
			r, err := New(cfg, WithFileOptions(WithSigningKey(priv)), WithEmitter(&nopEmitter{}))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			f := callFields(0)
			b.ReportAllocs()
			for b.Loop() {
				c, err := r.Begin(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.End(ctx, Completion{Outcome: OutcomeOK, Duration: time.Millisecond}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := r.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkHash(b *testing.B) {
	rec := NewRecord(callFields(0), WithDigester(NewDigester([]byte("k"))))
	k, err := newMACKey(testMACKey)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Head{Count: 41, Hash: "ab"}).seal(rec, k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	priv, _ := newKey(b)
	h := Head{Count: 1000, Hash: "4bf92f3577b34da6a3ce929d0e0e47364bf92f3577b34da6a3ce929d0e0e4736"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newCheckpoint(priv, wireCheckpoint{Count: h.Count, Head: h.Hash, Log: "0123456789abcdef"}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
