package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/tracegate/tracegate/gateway/reason"
)

// Completion is how an allowed, dispatched call ended.
type Completion struct {
	Outcome   Outcome
	ErrorType string
	// Reason overrides the record's reason.
	Reason Reason
	// Duration of the call; zero means the time since Begin.
	Duration time.Duration
}

// Call is an allowed tools/call between [Recorder.Begin] and [Call.End].
type Call struct {
	r      *Recorder
	base   Record
	intent string
	mode   Mode
	start  time.Time
}

// Begin is called for an allowed tools/call right before dispatch. In
// strict mode it writes and fsyncs an intent entry and returns an error
// wrapping [ErrAuditUnavailable] if it cannot: the call must then be
// refused. The Recorder then records the refusal itself (decision deny,
// reason audit_unavailable; written when the file recovers), so the caller
// must not record it again. In other modes Begin writes nothing.
func (r *Recorder) Begin(ctx context.Context, f Fields) (*Call, error) {
	f.Method = MethodToolsCall
	c := &Call{r: r, base: r.build(f), mode: r.cfg.modeFor(f.Tool), start: r.now()}
	if c.mode != ModeStrict {
		return c, nil
	}
	in := c.base
	in.w.Phase, in.w.Outcome, in.w.ErrorType, in.w.DurationNS = PhaseIntent, "", "", 0
	sealed, err := r.commit(ctx, in, true, false)
	if err != nil {
		refused := c.base
		refused.w.ID = newID()
		refused.w.Decision, refused.w.Reason, refused.w.Outcome = Deny, reason.AuditUnavailable, OutcomeError
		_, _ = r.commit(ctx, refused, true, true) // kept for later when the file is down
		return nil, err
	}
	c.intent = sealed.ID()
	return c, nil
}

// End writes the call's outcome record, the one record of this tools/call.
// In strict mode it is fsynced before End returns. If it cannot be written,
// End returns an error wrapping both [ErrAuditUnavailable] and
// [ErrOutcomeNotRecorded], with the unsealed record: the call was
// dispatched, so answer with its result and a warning, not a refusal. The
// Recorder writes the record once the file recovers.
func (c *Call) End(ctx context.Context, d Completion) (Record, error) {
	rec := c.base
	rec.w.ID = newID()
	rec.w.Phase, rec.w.IntentRef = PhaseOutcome, c.intent
	rec.w.Outcome, rec.w.ErrorType = d.Outcome, d.ErrorType
	if d.Reason != "" {
		rec.w.Reason = d.Reason
	}
	if d.Duration == 0 {
		d.Duration = c.r.now().Sub(c.start)
	}
	rec.w.DurationNS = int64(d.Duration)
	out, err := c.r.write(ctx, rec, c.mode)
	if err != nil {
		return out, fmt.Errorf("%w: %w", ErrOutcomeNotRecorded, err)
	}
	return out, nil
}

// Record writes one complete record: a denial, a call audited in one step,
// or (when Method is not tools/call) a method record, which is skipped at
// level none unless it is a denial: every refusal is recorded. The mode is
// that of the tool (or the recorder's for methods); Fields.Unsynced turns
// the fsync off.
// An allowed call in strict mode must use Begin/End instead: Record writes
// after the fact, so it cannot refuse a call that was already dispatched.
func (r *Recorder) Record(ctx context.Context, f Fields) (Record, error) {
	if f.Method != "" && f.Method != MethodToolsCall && f.Method != MethodPolicyChange && f.Decision != Deny && r.cfg.MethodLevel == LevelNone {
		return Record{}, nil
	}
	mode := r.cfg.modeFor(f.Tool)
	if f.Unsynced && mode == ModeStrict {
		mode = ModeBlocking
	}
	return r.write(ctx, r.build(f), mode)
}

// build turns pipeline facts into an unsealed record.
func (r *Recorder) build(f Fields) Record {
	if f.Time.IsZero() {
		f.Time = r.now()
	}
	f.KeepArguments = r.plain[f.Tool]
	return NewRecord(f, WithDigester(r.dig), WithArgsCap(r.cfg.PlaintextArgsMax))
}

func (r *Recorder) write(ctx context.Context, rec Record, mode Mode) (Record, error) {
	switch mode {
	case ModeStrict:
		return r.commit(ctx, rec, true, true)
	case ModeBatch:
		if r.batch != nil {
			r.emitInline(ctx, rec)
			r.batch.submit(ctx, rec)
			return rec, nil
		}
	}
	return r.commit(ctx, rec, false, true)
}
