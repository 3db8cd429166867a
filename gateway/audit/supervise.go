package audit

import (
	"context"
	"fmt"
	"time"
)

// supervisor wakes the Recorder's retry loop when the file breaks.
type supervisor struct {
	min, max time.Duration
	started  bool // a file is written: the retry loop runs
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

func newSupervisor(lo, hi time.Duration) *supervisor {
	return &supervisor{min: lo, max: max(lo, hi), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// wakeup never blocks (the file sink calls it holding its lock).
func (s *supervisor) wakeup() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *supervisor) close() {
	if !s.started {
		return
	}
	close(s.stop)
	<-s.done
}

// supervise runs for the Recorder's life: each time writing breaks, it
// retries with exponential backoff until the file works again and the
// records kept meanwhile are written.
func (r *Recorder) supervise() {
	s := r.sup
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		}
		delay := s.min
		for !r.retry() {
			t := time.NewTimer(delay)
			select {
			case <-s.stop:
				t.Stop()
				return
			case <-t.C:
			}
			delay = min(2*delay, s.max)
		}
	}
}

// retry makes one attempt and reports whether writing works again.
func (r *Recorder) retry() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cause := r.chain.Err(); cause != nil {
		r.noteDownLocked(cause)
	}
	return r.recoverLocked() == nil
}

// recoverLocked recovers the file if needed, writes the records kept while
// it was broken, and logs the end of an outage.
func (r *Recorder) recoverLocked() error {
	cause := r.chain.Err()
	if cause != nil {
		if err := r.chain.Recover(); err != nil {
			return err
		}
	}
	n := len(r.pending)
	if err := r.flushLocked(); err != nil {
		return err
	}
	if r.down {
		r.down = false
		r.log.Printf("audit: the audit log is writable again; %d delayed record(s) written", n)
	}
	return nil
}

// noteDownLocked reports the start of an outage: one log line, and a
// wake-up for the retry loop.
func (r *Recorder) noteDownLocked(cause error) {
	if r.down {
		return
	}
	r.down = true
	r.log.Printf("audit: cannot write the audit log: %v; strict-mode calls are refused and the recorder "+
		"reports not ready until writing works again (retrying with backoff)", cause)
	r.sup.wakeup()
}

// keepLocked keeps rec for when the file recovers; it reports false (and
// counts it, or the records a gap stands for, in a later gap record) when
// QueueSize records are already kept.
func (r *Recorder) keepLocked(ctx context.Context, rec Record) bool {
	if len(r.pending) >= r.cfg.QueueSize {
		r.lost += max(1, rec.Dropped())
		return false
	}
	r.pending = append(r.pending, queued{ctx: context.WithoutCancel(ctx), rec: rec})
	return true
}

// flushLocked writes the kept records in order, then a gap record for
// those that did not fit. It stops at the first failure, keeping the rest.
func (r *Recorder) flushLocked() error {
	for len(r.pending) > 0 {
		p := r.pending[0]
		sealed, err := r.chain.Append(p.rec, true)
		if err != nil {
			return err
		}
		if err := r.fanOutLocked(p.ctx, sealed); err != nil {
			handle(fmt.Errorf("audit: delayed record %s: %w", sealed.ID(), err))
		}
		r.pending[0] = queued{}
		r.pending = r.pending[1:]
	}
	r.pending = nil
	if r.lost == 0 {
		return nil
	}
	if _, err := r.chain.Append(newGap(r.now(), r.lost), true); err != nil {
		return err
	}
	r.lost = 0
	return nil
}
