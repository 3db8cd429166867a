package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File sink errors.
var (
	ErrCorruptLog = errors.New("audit: existing audit file is corrupt; run audit verify")
	ErrClosed     = errors.New("audit: closed")
)

// FileSink is the hash-chained, append-only JSON Lines audit file. It owns
// the chain: it seals each record after the previous one, writes it with a
// single write(2), and fsyncs when asked. See the package documentation for
// rotation, checkpoints and crash recovery.
type FileSink struct {
	mu    sync.Mutex
	base  string
	rot   int64
	every int
	key   ed25519.PrivateKey
	now   func() time.Time

	index   int
	f       *os.File
	size    int64 // committed bytes of the current file
	inFile  int   // records in the current file
	head    Head
	cp      string // hash of the last checkpoint
	since   int    // records since the last checkpoint
	broken  bool   // a write failed; the next Append rotates and accounts for it
	closed  bool
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// FileOption configures [OpenFile].
type FileOption func(*FileSink)

// WithSigningKey sets the checkpoint key, overriding FileConfig.SigningKeyFile.
func WithSigningKey(k ed25519.PrivateKey) FileOption { return func(s *FileSink) { s.key = k } }

// WithFileClock sets the clock for checkpoint and marker times (tests).
func WithFileClock(now func() time.Time) FileOption {
	return func(s *FileSink) {
		if now != nil {
			s.now = now
		}
	}
}

// OpenFile opens the audit log at cfg.Path, resuming the chain from the
// newest existing file, or creates it with a genesis segment line.
func OpenFile(cfg FileConfig, opts ...FileOption) (*FileSink, error) {
	s := &FileSink{base: cfg.Path, rot: cfg.RotateBytes, every: cfg.CheckpointEvery, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.key == nil && cfg.SigningKeyFile != "" {
		k, err := LoadSigningKey(cfg.SigningKeyFile)
		if err != nil {
			return nil, err
		}
		s.key = k
	}
	if err := s.resume(); err != nil {
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
	if !s.broken && s.key != nil && s.since > 0 {
		errs = append(errs, s.checkpointLocked())
	}
	if s.f != nil {
		errs = append(errs, s.f.Sync(), s.f.Close())
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
			if !s.closed && !s.broken && s.since > 0 {
				if err := s.checkpointLocked(); err != nil {
					s.broken = true
					handle(err)
				}
			}
			s.mu.Unlock()
		}
	}
}

// syncDir makes a newly created file's directory entry durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
