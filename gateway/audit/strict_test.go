package audit

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracegate/tracegate/gateway/reason"
)

// waitReady waits until r reports ready (the retry loop runs on its own).
func waitReady(t *testing.T, r *Recorder) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for r.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the disk had room again: %v", r.Ready())
		}
		time.Sleep(time.Millisecond)
	}
}

// Strict mode on a full disk (an injected file system answering ENOSPC):
// calls are refused at once, one log line and the write_errors metric say
// so, Ready reports not ready, a call dispatched before the disk filled
// gets ErrOutcomeNotRecorded (so the gateway answers its real result with a
// warning), and when space returns the Recorder recovers by itself and
// writes what it kept: the late outcome and the refusals.
func TestStrictFullDiskRefusesLoudlyAndRecovers(t *testing.T) {
	l := newTestLog(t)
	logs := &logBuf{}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	r, err := l.open(WithLogger(logs), WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	call := func(i int) (*Call, error) { return r.Begin(ctx, callFields(i)) }
	c, err := call(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.End(ctx, Completion{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	inFlight, err := call(1) // dispatched before the disk fills
	if err != nil || r.Ready() != nil {
		t.Fatal(err, r.Ready())
	}

	l.fsys.setFull(true)
	out, err := inFlight.End(ctx, Completion{Outcome: OutcomeOK})
	if !errors.Is(err, ErrOutcomeNotRecorded) || !errors.Is(err, ErrAuditUnavailable) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("End on a full disk: %v", err)
	}
	if out.IntentRef() == "" || out.Outcome() != OutcomeOK {
		t.Fatalf("End returned %+v", out)
	}
	for i := 2; i < 4; i++ {
		if _, err := call(i); !errors.Is(err, ErrAuditUnavailable) {
			t.Fatalf("Begin on a full disk: %v", err)
		}
	}
	if err := r.Ready(); !errors.Is(err, ErrAuditUnavailable) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Ready = %v", err)
	}
	if got := logs.all(); len(got) != 1 || !strings.Contains(got[0], "cannot write the audit log") || !strings.Contains(got[0], "no space left on device") {
		t.Fatalf("log lines %q, want exactly one about the full disk", got)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	// The outcome, two intents and two refusals (kept, written later).
	if got := counterValue(rm, "tracegate.audit.write_errors"); got != 5 {
		t.Fatalf("write_errors = %d, want 5", got)
	}

	l.fsys.setFull(false)
	waitReady(t, r)
	if got := logs.all(); len(got) != 2 || !strings.Contains(got[1], "writable again; 3 delayed record(s) written") {
		t.Fatalf("log lines %q", got)
	}
	c, err = call(4)
	if err != nil {
		t.Fatalf("Begin after recovery: %v", err)
	}
	if _, err := c.End(ctx, Completion{Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}

	rep, code, text := l.verify(l.keyed())
	if code != ExitIntact || rep.Status != StatusRecovered || len(rep.Recovered) != 1 {
		t.Fatalf("exit %d\n%s", code, text)
	}
	var late, refusals, outcomes int
	for _, rec := range records(t, l.base) {
		switch {
		case rec.IntentRef() == out.IntentRef() && rec.Phase() == PhaseOutcome:
			late++
		case rec.Decision() == Deny && rec.Reason() == reason.AuditUnavailable:
			refusals++
		case rec.Phase() == PhaseOutcome:
			outcomes++
		}
	}
	if late != 1 || refusals != 2 || outcomes != 2 {
		t.Fatalf("late outcome %d, refusals %d, other outcomes %d; want 1, 2, 2", late, refusals, outcomes)
	}
}

// records returns every record of the log at base, in file order.
func records(t *testing.T, base string) []Record {
	t.Helper()
	segs, err := Segments(base)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, s := range segs {
		for _, line := range readLines(t, s) {
			if !strings.HasPrefix(line, `{"type":"record"`) || !strings.HasSuffix(line, "\n") {
				continue
			}
			var r Record
			if err := r.UnmarshalJSON([]byte(line)); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
	}
	return out
}

// Records that do not fit in QueueSize while the disk is full are counted
// in a gap record once it recovers.
func TestFullDiskOverflowBecomesGap(t *testing.T) {
	l := newTestLog(t)
	l.cfg.Mode, l.cfg.QueueSize = ModeBlocking, 2
	r, err := l.open()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l.fsys.setFull(true)
	for i := range 5 {
		if _, err := r.Record(ctx, callFields(i)); !errors.Is(err, ErrAuditUnavailable) {
			t.Fatal(err)
		}
	}
	l.fsys.setFull(false)
	waitReady(t, r)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var calls, dropped uint64
	for _, rec := range records(t, l.base) {
		switch rec.Kind() {
		case KindCall:
			calls++
		case KindGap:
			dropped += rec.Dropped()
		}
	}
	if calls != 2 || dropped != 3 {
		t.Fatalf("calls %d, dropped %d; want 2 and 3", calls, dropped)
	}
	if _, code, text := l.verify(l.keyed()); code != ExitIntact {
		t.Fatalf("exit %d\n%s", code, text)
	}
}
