package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// ErrAuditUnavailable is returned when a record could not be written. In
// strict mode the pipeline must refuse the call (fail closed).
var ErrAuditUnavailable = errors.New("audit: audit trail unavailable")

const meterName = "github.com/tracegate/tracegate/gateway/audit"

// Recorder builds records from pipeline facts, seals them into the hash
// chain and fans them out to its sinks with the configured durability.
// It is safe for concurrent use.
type Recorder struct {
	cfg    Config
	chain  chainWriter
	sinks  []Sink
	inline []Sink
	dig    *Digester
	plain  map[string]bool
	now    func() time.Time

	mu        sync.Mutex // serializes chain appends and chained sinks
	batch     *batcher
	dropped   metric.Int64Counter
	writeErrs metric.Int64Counter
}

// New validates cfg, opens the file sink (resuming its chain) and, when
// any call uses batch mode, starts the batch writer.
func New(cfg Config, opts ...Option) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{mp: noop.NewMeterProvider(), now: time.Now}
	for _, op := range opts {
		op.apply(&o)
	}
	key, err := cfg.hmacKey()
	if err != nil {
		return nil, err
	}
	r := &Recorder{cfg: cfg, sinks: o.sinks, inline: o.inline, dig: NewDigester(key),
		plain: make(map[string]bool), now: o.now}
	for _, t := range cfg.PlaintextArgsTools {
		r.plain[t] = true
	}
	meter := o.mp.Meter(meterName)
	if r.dropped, err = meter.Int64Counter("tracegate.audit.dropped", metric.WithUnit("{record}"),
		metric.WithDescription("Audit records dropped by a full batch queue")); err != nil {
		return nil, fmt.Errorf("audit: dropped counter: %w", err)
	}
	if r.writeErrs, err = meter.Int64Counter("tracegate.audit.write_errors", metric.WithUnit("{record}"),
		metric.WithDescription("Audit records that could not be written")); err != nil {
		return nil, fmt.Errorf("audit: write_errors counter: %w", err)
	}
	switch {
	case o.file != nil:
		r.chain = o.file
	case cfg.File.Path != "":
		fs, err := OpenFile(cfg.File, o.fileOpts...)
		if err != nil {
			return nil, err
		}
		r.chain = fs
	default:
		r.chain = &memChain{}
	}
	if usesBatch(cfg) {
		r.batch = newBatcher(r, cfg.QueueSize, o.queueHook)
	}
	return r, nil
}

func usesBatch(c Config) bool {
	if c.Mode == ModeBatch {
		return true
	}
	for _, m := range c.ToolModes {
		if m == ModeBatch {
			return true
		}
	}
	return false
}

// Head returns the chain head (records committed so far).
func (r *Recorder) Head() Head {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chain.Head()
}

// Close drains the batch queue (writing a final gap record if records were
// dropped), writes a final checkpoint and closes the file. If ctx ends
// first, Close returns its error and leaves the writer to finish.
func (r *Recorder) Close(ctx context.Context) error {
	if r.batch != nil {
		if err := r.batch.close(ctx); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chain.Close()
}

// commit appends rec to the chain and the chained sinks, then (outside the
// lock) hands it to the inline sinks unless it is an intent entry.
func (r *Recorder) commit(ctx context.Context, rec Record, sync, inline bool) (Record, error) {
	r.mu.Lock()
	sealed, err := r.chain.Append(rec, sync)
	if err == nil {
		var errs []error
		for _, s := range r.sinks {
			errs = append(errs, s.Write(ctx, sealed))
		}
		err = errors.Join(errs...)
	}
	r.mu.Unlock()
	if err != nil {
		r.writeErrs.Add(ctx, 1)
		return sealed, fmt.Errorf("%w: record %s (%s %s): %w", ErrAuditUnavailable, rec.ID(), rec.Kind(), rec.Tool(), err)
	}
	if inline && rec.Phase() != PhaseIntent {
		r.emitInline(ctx, sealed)
	}
	return sealed, nil
}

func (r *Recorder) emitInline(ctx context.Context, rec Record) {
	for _, s := range r.inline {
		if err := s.Write(ctx, rec); err != nil {
			handle(fmt.Errorf("audit: inline sink: %w", err))
		}
	}
}
