package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// faultFS is the operating system's file system until told otherwise:
// full makes every write and create fail with ENOSPC (a write first
// writes half its bytes, as a real full disk can), crash stops the
// "process": the next write leaves half a line, and nothing is written
// after it.
type faultFS struct {
	OSFileSystem
	mu       sync.Mutex
	full     bool
	crashed  bool
	tearNext bool // the next write after the crash leaves half a line
}

var errCrashed = errors.New("process killed")

func (f *faultFS) setFull(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full = v
}

func (f *faultFS) crash(tear bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.crashed, f.tearNext = true, tear
}

// fault returns the error of the next operation, if any.
func (f *faultFS) fault(op, name string) error {
	switch {
	case f.crashed:
		return &fs.PathError{Op: op, Path: name, Err: errCrashed}
	case f.full:
		return &fs.PathError{Op: op, Path: name, Err: syscall.ENOSPC}
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f.mu.Lock()
	err := f.fault("open", name)
	f.mu.Unlock()
	if err != nil && flag&syscall.O_CREAT != 0 {
		return nil, err
	}
	file, err := f.OSFileSystem.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

type faultFile struct {
	File
	fs *faultFS
}

func (w *faultFile) Write(b []byte) (int, error) {
	w.fs.mu.Lock()
	defer w.fs.mu.Unlock()
	err := w.fs.fault("write", w.Name())
	if err == nil {
		return w.File.Write(b)
	}
	if w.fs.crashed && !w.fs.tearNext {
		return 0, err
	}
	w.fs.tearNext = false
	n, _ := w.File.Write(b[:len(b)/2])
	return n, err
}

func (w *faultFile) Sync() error {
	w.fs.mu.Lock()
	crashed := w.fs.crashed
	w.fs.mu.Unlock()
	if crashed {
		return &fs.PathError{Op: "sync", Path: w.Name(), Err: errCrashed}
	}
	return w.File.Sync()
}

// spanWitness is a [Witness] over the checkpoint spans a tracer provider
// recorded (what Jaeger would hold).
type spanWitness struct {
	TP    *sdktrace.TracerProvider
	spans *tracetest.InMemoryExporter
}

// newSpanWitness returns a witness recording through a provider that
// samples nothing but checkpoint spans (as a gateway sampling by ratio 0).
func newSpanWitness(t testing.TB) *spanWitness {
	w := &spanWitness{spans: tracetest.NewInMemoryExporter()}
	w.TP = sdktrace.NewTracerProvider(sdktrace.WithSyncer(w.spans),
		sdktrace.WithSampler(CheckpointSampler(sdktrace.TraceIDRatioBased(0))))
	t.Cleanup(func() { _ = w.TP.Shutdown(context.Background()) })
	return w
}

func (w *spanWitness) checkpoints(t testing.TB) []WitnessedCheckpoint {
	t.Helper()
	var out []WitnessedCheckpoint
	for _, s := range w.spans.GetSpans() {
		if s.Name != CheckpointSpanName {
			continue
		}
		attrs := attribute.NewSet(s.Attributes...)
		c, err := CheckpointFromAttributes(func(k string) (string, bool) {
			v, ok := attrs.Value(attribute.Key(k))
			return v.Emit(), ok
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// forget drops what the witness knows (a backend without persistent storage
// that restarted).
func (w *spanWitness) forget() { w.spans.Reset() }

type witnessFunc func(ctx context.Context, log, prev string) ([]WitnessedCheckpoint, error)

func (f witnessFunc) After(ctx context.Context, log, prev string) ([]WitnessedCheckpoint, error) {
	return f(ctx, log, prev)
}

// witness answers from the recorded spans.
func (w *spanWitness) witness(t testing.TB) Witness {
	return witnessFunc(func(_ context.Context, log, prev string) ([]WitnessedCheckpoint, error) {
		var out []WitnessedCheckpoint
		for _, c := range w.checkpoints(t) {
			if c.Log == log && (prev == "" || c.Prev == prev) {
				out = append(out, c)
			}
		}
		return out, nil
	})
}

// testLog is an audit log in a temporary directory written the way the
// gateway writes it: signed every 4 records, MAC-keyed, checkpoints
// published to a witness.
type testLog struct {
	t    testing.TB
	base string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	wit  *spanWitness
	fsys *faultFS
	cfg  Config
}

func newTestLog(t testing.TB) *testLog {
	priv, pub := newKey(t)
	cfg := DefaultConfig()
	cfg.Mode = ModeStrict
	cfg.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
	cfg.File.CheckpointEvery, cfg.File.CheckpointInterval = 4, 0
	return &testLog{t: t, base: cfg.File.Path, priv: priv, pub: pub, wit: newSpanWitness(t), fsys: &faultFS{}, cfg: cfg}
}

// open starts a Recorder on the log.
func (l *testLog) open(extra ...Option) (*Recorder, error) {
	opts := append([]Option{WithFileOptions(WithSigningKey(l.priv), WithMACKey(testMACKey), WithFileSystem(l.fsys)),
		WithTracerProvider(l.wit.TP), WithLogger(discard{}), WithRetryBackoff(1e6, 5e6)}, extra...)
	return New(l.cfg, opts...)
}

// write records n calls (odd ones denied) in a fresh Recorder; stop ends
// it: close it cleanly, or crash it (kill -9) leaving a torn line.
func (l *testLog) write(n int, stop string) {
	l.t.Helper()
	r, err := l.open()
	if err != nil {
		l.t.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		f := callFields(i)
		if i%2 == 1 {
			f.Decision, f.Reason = Deny, "insufficient_scope"
			if _, err := r.Record(ctx, f); err != nil {
				l.t.Fatal(err)
			}
			continue
		}
		c, err := r.Begin(ctx, f)
		if err == nil {
			_, err = c.End(ctx, Completion{Outcome: OutcomeOK})
		}
		if err != nil {
			l.t.Fatal(err)
		}
	}
	switch stop {
	case "close":
		if err := r.Close(ctx); err != nil {
			l.t.Fatal(err)
		}
	case "crash", "crash-torn":
		l.fsys.crash(stop == "crash-torn")
		if stop == "crash-torn" {
			_, _ = r.Record(ctx, callFields(n)) // dies mid-write
		}
		_ = r.Close(ctx) // the dead process writes nothing more
		l.fsys = &faultFS{}
	default:
		l.t.Fatalf("stop %q", stop)
	}
}

// verify runs the verifier as `audit verify` does.
func (l *testLog) verify(o VerifyOptions) (Report, int, string) {
	l.t.Helper()
	segs, err := Segments(l.base)
	if err != nil {
		l.t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		l.t.Fatal(err)
	}
	rep, err := VerifyFiles(context.Background(), cfg, segs...)
	if err != nil {
		l.t.Fatal(err)
	}
	var out strings.Builder
	code := RunVerify(&out, o, []string{l.base})
	if code != rep.ExitCode() {
		l.t.Fatalf("RunVerify exit %d, report says %d\n%s", code, rep.ExitCode(), out.String())
	}
	return rep, code, out.String()
}
