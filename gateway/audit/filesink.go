package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// File sink errors.
var (
	ErrCorruptLog = errors.New("audit: existing audit file is corrupt; run audit verify")
	ErrClosed     = errors.New("audit: closed")
)

// FileSink is the keyed, hash-chained, append-only JSON Lines audit file. It
// owns the chain: it seals each record after the previous one, writes it
// with a single write(2), and fsyncs when asked. See the package
// documentation for keying, rotation, checkpoints and crash recovery.
type FileSink struct {
	mu    sync.Mutex
	base  string
	rot   int64
	every int
	key   ed25519.PrivateKey
	mac   *macKey
	fsys  FileSystem
	pub   *publisher
	now   func() time.Time
	wake  func() // called (under mu) when writing breaks; must not block

	tp      trace.TracerProvider
	replica string

	logID      string
	segKey     string // MAC key id of the current file ("" : unkeyed)
	segHash    string // SHA-256 of the current file's segment line
	index      int
	f          File
	size       int64 // committed bytes of the current file
	inFile     int   // records in the current file (at least 1 if any, after a resume)
	head       Head
	cp         string      // hash of the last checkpoint
	since      int         // records since the last checkpoint
	broken     error       // why the last write failed; the next Append or Recover rotates away
	undeclared []tornBytes // uncommitted bytes no truncation record declares yet
	closed     bool
	stop       chan struct{}
	stopped    chan struct{}
	once       sync.Once
}

// FileOption configures [OpenFile].
type FileOption func(*FileSink)

// WithSigningKey sets the checkpoint key, overriding FileConfig.SigningKeyFile.
func WithSigningKey(k ed25519.PrivateKey) FileOption { return func(s *FileSink) { s.key = k } }

// WithMACKey keys the chain with key (at least [MinMACKeyBytes] bytes; see
// [LoadMACKey]); empty leaves it unkeyed.
func WithMACKey(key []byte) FileOption {
	return func(s *FileSink) {
		if len(key) > 0 {
			s.mac = &macKey{key: key}
		}
	}
}

// WithFileSystem sets where the files are written (tests inject failures);
// nil is ignored.
func WithFileSystem(fsys FileSystem) FileOption {
	return func(s *FileSink) {
		if fsys != nil {
			s.fsys = fsys
		}
	}
}

// WithCheckpointTracerProvider publishes every checkpoint as a
// [CheckpointSpanName] span through tp; nil is ignored. See
// [CheckpointSampler] for a provider that samples by ratio.
func WithCheckpointTracerProvider(tp trace.TracerProvider) FileOption {
	return func(s *FileSink) {
		if tp != nil {
			s.tp = tp
		}
	}
}

// WithFileClock sets the clock for checkpoint and marker times (tests).
func WithFileClock(now func() time.Time) FileOption {
	return func(s *FileSink) {
		if now != nil {
			s.now = now
		}
	}
}

// withWake sets the hook called when writing breaks.
func withWake(f func()) FileOption { return func(s *FileSink) { s.wake = f } }

// OpenFile opens the audit log at cfg.Path, resuming the chain from the
// newest existing file after checking the records after its last
// checkpoint, or creates it with a genesis segment line. It fails with
// [ErrNotRegularFile] for a path that is not a regular file,
// [ErrMACKeyRequired] or [ErrMACKeyMismatch] for a keyed log without its
// key, and [ErrTailRejected] (wrapping [ErrCorruptLog]) for a tail that does
// not verify.
func OpenFile(cfg FileConfig, opts ...FileOption) (*FileSink, error) {
	s := &FileSink{base: cfg.Path, rot: cfg.RotateBytes, every: cfg.CheckpointEvery, now: time.Now,
		fsys: OSFileSystem{}, replica: cfg.ReplicaID, wake: func() {}}
	for _, o := range opts {
		o(s)
	}
	if s.mac != nil {
		k, err := newMACKey(s.mac.key)
		if err != nil {
			return nil, err
		}
		s.mac = k
	}
	if s.key == nil && cfg.SigningKeyFile != "" {
		k, err := LoadSigningKey(cfg.SigningKeyFile)
		if err != nil {
			return nil, err
		}
		s.key = k
	}
	s.pub = newPublisher(s.tp, s.replica)
	if err := s.resume(); err != nil {
		if s.f != nil {
			_ = s.f.Close()
		}
		return nil, err
	}
	if s.key != nil && cfg.CheckpointInterval > 0 {
		s.stop, s.stopped = make(chan struct{}), make(chan struct{})
		go s.tick(cfg.CheckpointInterval)
	}
	return s, nil
}

// Head returns the current chain head.
func (s *FileSink) Head() Head {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// Path returns the file currently written.
func (s *FileSink) Path() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return segmentPath(s.base, s.index)
}

// LogID returns the log's random id, the one segment lines, checkpoints and
// checkpoint spans carry.
func (s *FileSink) LogID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logID
}

// Err is nil while the file can be written; after a failed write it is that
// failure until [FileSink.Recover] (or the next Append) succeeds.
func (s *FileSink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.broken
}

// Recover, after a failed write, moves writing to a new file and declares
// the bytes the failure left behind (a truncation record). It returns nil
// when writing works again.
func (s *FileSink) Recover() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.broken == nil {
		return nil
	}
	return s.recoverLocked()
}

// Close writes a final checkpoint (when records follow the last one), syncs
// and closes the file. Later Appends fail with [ErrClosed].
func (s *FileSink) Close() error {
	if s.stop != nil {
		s.once.Do(func() { close(s.stop) })
		<-s.stopped
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.broken != nil {
		errs = append(errs, fmt.Errorf("not writable: %w", s.broken))
	} else if s.key != nil && s.since > 0 {
		errs = append(errs, s.checkpointLocked())
	}
	if s.f != nil {
		if s.broken == nil {
			errs = append(errs, s.f.Sync())
		}
		errs = append(errs, s.f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("audit: close %s: %w", segmentPath(s.base, s.index), err)
	}
	return nil
}

func (s *FileSink) tick(every time.Duration) {
	defer close(s.stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.closed && s.broken == nil && s.since > 0 {
				if err := s.checkpointLocked(); err != nil {
					handle(err)
				}
			}
			s.mu.Unlock()
		}
	}
}

// newLogID returns a fresh random log id (16 hex characters).
func newLogID() string { return newID()[:16] }

// fileName is the base name of segment index.
func (s *FileSink) fileName(index int) string { return filepath.Base(segmentPath(s.base, index)) }
