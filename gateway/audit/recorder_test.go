package audit

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestStrictWritesIntentThenOutcome(t *testing.T) {
	priv, pub := newKey(t)
	cfg := DefaultConfig()
	cfg.Mode = ModeStrict
	cfg.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
	mem, em := &memSink{}, &fakeEmitter{}
	var cb []AuditRecord
	r, err := New(cfg, WithFileOptions(WithSigningKey(priv)), WithSink(mem), WithEmitter(em),
		WithAuditFunc(func(a AuditRecord) { cb = append(cb, a) }), WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := r.Begin(ctx, callFields(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Head().Count; got != 1 {
		t.Fatalf("intent not committed before dispatch: head %d", got)
	}
	out, err := c.End(ctx, Completion{Outcome: OutcomeToolError, ErrorType: "tool_error", Duration: 3 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	recs := mem.all()
	if len(recs) != 2 || recs[0].Phase() != PhaseIntent || recs[1].Phase() != PhaseOutcome {
		t.Fatalf("records %+v", recs)
	}
	if out.IntentRef() != recs[0].ID() || out.PrevHash() != recs[0].Hash() || out.Seq() != 2 {
		t.Fatalf("outcome does not reference intent: %+v", out)
	}
	if len(em.events) != 1 || len(cb) != 1 {
		t.Fatalf("OTel/callback must see the outcome only: %d events, %d callbacks", len(em.events), len(cb))
	}
	ev := em.events[0]
	for k, want := range map[string]string{AttrDecision: "allow", AttrOutcome: "tool_error", AttrSubject: "alice",
		AttrTool: "posts.Posts.Create", AttrIntentID: "msg-1", AttrRecordID: out.ID(), AttrRecordHash: out.Hash()} {
		if ev[k].AsString() != want {
			t.Errorf("%s = %q, want %q", k, ev[k].AsString(), want)
		}
	}
	if ev["event"].AsString() != EventName || ev[AttrDurationMS].AsFloat64() != 3 {
		t.Errorf("event %v", ev)
	}
	if out.ArgsDigest() == "" || out.Args() != "" {
		t.Errorf("digest %q args %q", out.ArgsDigest(), out.Args())
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(pub, cfg.File.Path); err != nil || !rep.Intact() || rep.Records != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
}

func TestFailingSinkFailsClosed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = ModeStrict
	cfg.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
	ctx := context.Background()
	bad := SinkFunc(func(context.Context, Record) error { return errors.New("sink down") })
	r, err := New(cfg, WithSink(bad), WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if _, err := r.Begin(ctx, callFields(0)); !errors.Is(err, ErrAuditUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if err := r.Ready(); err != nil {
		t.Fatalf("the file is fine, a sink is not: Ready = %v", err)
	}
}

func TestNewStrictWithoutFile(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ToolModes = map[string]Mode{"x": ModeStrict}
	if _, err := New(cfg); !errors.Is(err, ErrStrictNeedsFile) {
		t.Fatalf("err = %v", err)
	}
}

func TestBatchStalledSinkNeverBlocksAndLeavesGap(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	stall := SinkFunc(func(context.Context, Record) error {
		once.Do(func() { <-release })
		return nil
	})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	mem := &memSink{}
	cfg := DefaultConfig()
	cfg.Mode, cfg.QueueSize = ModeBatch, 4
	started := make(chan struct{}, 1)
	r, err := New(cfg, WithSink(stall), WithSink(mem), WithMeterProvider(mp),
		withQueueHook(func() {
			select {
			case started <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Record(ctx, callFields(0)); err != nil {
		t.Fatal(err)
	}
	<-started // the writer holds record 1 and is stalled in the sink
	const calls = 100
	begin := time.Now()
	for i := 1; i < calls; i++ {
		if _, err := r.Record(ctx, callFields(i)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(begin); d > time.Second {
		t.Fatalf("batch mode blocked for %v", d)
	}
	close(release)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	recs := mem.all()
	var calls2, dropped uint64
	for _, rec := range recs {
		switch rec.Kind() {
		case KindCall:
			calls2++
		case KindGap:
			dropped += rec.Dropped()
		}
	}
	wantDropped := uint64(calls - 1 - cfg.QueueSize)
	if calls2 != uint64(1+cfg.QueueSize) || dropped != wantDropped {
		t.Fatalf("calls %d dropped %d, want %d and %d", calls2, dropped, 1+cfg.QueueSize, wantDropped)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(rm, "tracegate.audit.dropped"); got != int64(wantDropped) {
		t.Fatalf("dropped metric = %d, want %d", got, wantDropped)
	}
}

func counterValue(rm metricdata.ResourceMetrics, name string) int64 {
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, dp := range s.DataPoints {
					n += dp.Value
				}
			}
		}
	}
	return n
}

func TestCallbackIsolation(t *testing.T) {
	mem := &memSink{}
	var seen []AuditRecord
	evil := func(a AuditRecord) {
		a.ScopesRequired[0] = "admin"
		a.ScopesGranted = append(a.ScopesGranted[:0], "root")
		a.Tool = "other"
	}
	r, err := New(DefaultConfig(), WithSink(mem), WithAuditFunc(evil),
		WithAuditFunc(func(a AuditRecord) { seen = append(seen, a) }))
	if err != nil {
		t.Fatal(err)
	}
	f := callFields(0)
	rec, err := r.Record(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	f.RequiredScopes[0] = "changed-after"
	got := mem.all()[0]
	if got.RequiredScopes()[0] != "posts:write" || got.GrantedScopes()[0] != "posts:write" || got.Tool() != "posts.Posts.Create" {
		t.Fatalf("callback or caller changed the record: %v %v %s", got.RequiredScopes(), got.GrantedScopes(), got.Tool())
	}
	if seen[0].ScopesRequired[0] != "posts:write" || seen[0].Tool != "posts.Posts.Create" || seen[0].AccountID != "alice" {
		t.Fatalf("second callback saw the first one's changes: %+v", seen[0])
	}
	if a, _ := rec.MarshalJSON(); string(a) != func() string { b, _ := got.MarshalJSON(); return string(b) }() {
		t.Fatal("the record the caller got differs from the one the sink got")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRecorderConcurrentSafe(t *testing.T) {
	priv, pub := newKey(t)
	for _, mode := range []Mode{ModeStrict, ModeBlocking, ModeBatch} {
		t.Run(string(mode), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Mode, cfg.QueueSize = mode, 10000
			cfg.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
			cfg.File.RotateBytes, cfg.File.CheckpointEvery = 8192, 7
			cfg.File.CheckpointInterval = time.Millisecond
			r, err := New(cfg, WithFileOptions(WithSigningKey(priv), WithMACKey(testMACKey)), WithEmitter(&fakeEmitter{}))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 25 {
						c, err := r.Begin(ctx, callFields(g*100+i))
						if err != nil {
							t.Error(err)
							return
						}
						if _, err := c.End(ctx, Completion{Outcome: OutcomeOK}); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if err := r.Close(ctx); err != nil {
				t.Fatal(err)
			}
			segs, _ := Segments(cfg.File.Path)
			rep, err := VerifyFiles(ctx, VerifyConfig{PublicKey: pub, MACKey: testMACKey}, segs...)
			want := uint64(200)
			if mode == ModeStrict {
				want = 400 // intent + outcome
			}
			if err != nil || rep.Status != StatusIntact || rep.Records != want || rep.Signed != want {
				t.Fatalf("%v first=%v records=%d signed=%d files=%d", err, rep.First, rep.Records, rep.Signed, len(segs))
			}
		})
	}
}

func TestMethodLevel(t *testing.T) {
	ctx := context.Background()
	for _, lvl := range []Level{LevelNone, LevelMetadata} {
		cfg := DefaultConfig()
		cfg.MethodLevel = lvl
		mem := &memSink{}
		r, err := New(cfg, WithSink(mem))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Record(ctx, Fields{Method: "tools/list", Subject: "alice"}); err != nil {
			t.Fatal(err)
		}
		n := len(mem.all())
		if (lvl == LevelNone) != (n == 0) || (n == 1 && mem.all()[0].Kind() != KindMethod) {
			t.Fatalf("level %s: %d records", lvl, n)
		}
		_ = r.Close(ctx)
	}
}
