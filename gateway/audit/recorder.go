package audit

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// ErrAuditUnavailable is returned when a record could not be written. In
// strict mode the pipeline must refuse the call (fail closed).
var ErrAuditUnavailable = errors.New("audit: audit trail unavailable")

// ErrOutcomeNotRecorded is wrapped (with [ErrAuditUnavailable]) by
// [Call.End] when the outcome record of a call that was already dispatched
// could not be written. The call happened: answer with its real result and
// a warning, not with a refusal (a model would retry a non-idempotent
// call). The Recorder keeps the record and writes it when the file can be
// written again (unless the process stops first).
var ErrOutcomeNotRecorded = errors.New("audit: the call was executed but its outcome record could not be written")

const meterName = "github.com/tracegate/tracegate/gateway/audit"

// Recorder builds records from pipeline facts, seals them into the chain
// and fans them out to its sinks with the configured durability. When the
// file cannot be written it says so at once (a log line, the
// tracegate.audit.write_errors counter, [Recorder.Ready]), keeps the
// records it could not write (up to QueueSize, then counts them in a gap
// record), retries with backoff and writes them when the file recovers.
// It is safe for concurrent use.
type Recorder struct {
	cfg    Config
	chain  chainWriter
	sinks  []Sink
	inline []Sink
	dig    *Digester
	plain  map[string]bool
	now    func() time.Time
	log    Logger
	sup    *supervisor

	mu        sync.Mutex // serializes chain appends and chained sinks
	down      bool       // the file is not writable (logged once per outage)
	pending   []queued   // records written once the file recovers
	lost      uint64     // records that did not fit in pending
	batch     *batcher
	dropped   metric.Int64Counter
	writeErrs metric.Int64Counter
}

// New validates cfg, opens the file sink (resuming and checking its chain)
// and, when any call uses batch mode, starts the batch writer. Without a
// MAC key (Config.MACKeyFile, [WithMACKey]) it logs that the chain is
// unkeyed.
func New(cfg Config, opts ...Option) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{mp: noop.NewMeterProvider(), now: time.Now, logger: log.New(os.Stderr, "", log.LstdFlags),
		retryMin: DefaultRetryMin, retryMax: DefaultRetryMax}
	for _, op := range opts {
		op.apply(&o)
	}
	key, err := cfg.hmacKey()
	if err != nil {
		return nil, err
	}
	r := &Recorder{cfg: cfg, sinks: o.sinks, inline: o.inline, dig: NewDigester(key),
		plain: make(map[string]bool), now: o.now, log: o.logger}
	for _, t := range cfg.PlaintextArgsTools {
		r.plain[t] = true
	}
	if err := r.instruments(o.mp); err != nil {
		return nil, err
	}
	r.sup = newSupervisor(o.retryMin, o.retryMax)
	if r.chain, err = r.openChain(cfg, o); err != nil {
		return nil, err
	}
	if _, ok := r.chain.(*FileSink); ok {
		r.sup.started = true
		go r.supervise()
	}
	if usesBatch(cfg) {
		r.batch = newBatcher(r, cfg.QueueSize, o.queueHook)
	}
	return r, nil
}

func (r *Recorder) instruments(mp metric.MeterProvider) error {
	meter := mp.Meter(meterName)
	var err error
	if r.dropped, err = meter.Int64Counter("tracegate.audit.dropped", metric.WithUnit("{record}"),
		metric.WithDescription("Audit records dropped by a full batch queue")); err != nil {
		return fmt.Errorf("audit: dropped counter: %w", err)
	}
	if r.writeErrs, err = meter.Int64Counter("tracegate.audit.write_errors", metric.WithUnit("{record}"),
		metric.WithDescription("Audit records that could not be written when they were made")); err != nil {
		return fmt.Errorf("audit: write_errors counter: %w", err)
	}
	return nil
}

// openChain opens (or adopts) the file sink, wired to wake the supervisor.
func (r *Recorder) openChain(cfg Config, o options) (chainWriter, error) {
	switch {
	case o.file != nil:
		o.file.mu.Lock()
		o.file.wake = r.sup.wakeup
		o.file.mu.Unlock()
		return o.file, nil
	case cfg.File.Path == "":
		return &memChain{}, nil
	}
	mac, err := cfg.macKey()
	if err != nil {
		return nil, err
	}
	fopts := append([]FileOption{WithMACKey(mac), WithCheckpointTracerProvider(o.tp)}, o.fileOpts...)
	fs, err := OpenFile(cfg.File, append(fopts, withWake(r.sup.wakeup))...)
	if err != nil {
		return nil, err
	}
	if fs.mac == nil {
		r.log.Printf("audit: %s is not MAC-keyed (no audit.mac_key_file): records after the last signed checkpoint "+
			"can be rewritten undetectably; verify reports the log as unkeyed", cfg.File.Path)
	}
	return fs, nil
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

// Ready returns nil while records can be written, else an error wrapping
// [ErrAuditUnavailable] that says why (serve it as /readyz). It does not
// wait for a write in progress.
func (r *Recorder) Ready() error {
	if err := r.chain.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrAuditUnavailable, err)
	}
	r.mu.Lock()
	n, lost := len(r.pending), r.lost
	r.mu.Unlock()
	if n > 0 || lost > 0 {
		return fmt.Errorf("%w: %d record(s) wait to be written, %d lost", ErrAuditUnavailable, n, lost)
	}
	return nil
}

// Close drains the batch queue (writing a final gap record if records were
// dropped), writes the records kept while the file was unwritable (one last
// attempt), a final checkpoint, and closes the file. If ctx ends first,
// Close returns its error and leaves the writer to finish.
func (r *Recorder) Close(ctx context.Context) error {
	if r.batch != nil {
		if err := r.batch.close(ctx); err != nil {
			return err
		}
	}
	r.mu.Lock()
	var errs []error
	if len(r.pending) > 0 || r.lost > 0 {
		if err := r.recoverLocked(); err != nil {
			errs = append(errs, fmt.Errorf("audit: %d record(s) not written: %w", len(r.pending)+int(r.lost), err))
		}
	}
	errs = append(errs, r.chain.Close())
	r.mu.Unlock()
	r.sup.close()
	return errors.Join(errs...)
}

// commit appends rec to the chain and the chained sinks, then (outside the
// lock) hands it to the inline sinks unless it is an intent entry. While
// the file cannot be written it fails at once, without touching the file,
// and keeps rec (but an intent) for when the file recovers.
func (r *Recorder) commit(ctx context.Context, rec Record, sync, inline bool) (Record, error) {
	r.mu.Lock()
	err := r.chain.Err()
	var sealed Record
	if err == nil {
		sealed, err = r.chain.Append(rec, sync)
	}
	kept := false
	if err == nil {
		err = r.fanOutLocked(ctx, sealed)
	} else if cause := r.chain.Err(); cause != nil && !errors.Is(cause, ErrClosed) {
		r.noteDownLocked(cause)
		kept = rec.Phase() != PhaseIntent && r.keepLocked(ctx, rec)
	}
	r.mu.Unlock()
	if err != nil {
		r.writeErrs.Add(ctx, 1)
		if inline && kept {
			r.emitInline(ctx, rec) // the event must not wait for the disk
		}
		return rec, fmt.Errorf("%w: record %s (%s %s): %w", ErrAuditUnavailable, rec.ID(), rec.Kind(), rec.Tool(), err)
	}
	if inline && rec.Phase() != PhaseIntent {
		r.emitInline(ctx, sealed)
	}
	return sealed, nil
}

// fanOutLocked hands a sealed record to the chained sinks.
func (r *Recorder) fanOutLocked(ctx context.Context, sealed Record) error {
	var errs []error
	for _, s := range r.sinks {
		errs = append(errs, s.Write(ctx, sealed))
	}
	return errors.Join(errs...)
}

func (r *Recorder) emitInline(ctx context.Context, rec Record) {
	for _, s := range r.inline {
		if err := s.Write(ctx, rec); err != nil {
			handle(fmt.Errorf("audit: inline sink: %w", err))
		}
	}
}
