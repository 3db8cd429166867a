package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel"
)

// handle reports an error that must not fail a call (checkpoint or close
// problems after the record itself was committed).
func handle(err error) { otel.Handle(err) }

// Append seals r after the head, writes it as one line with a single
// write(2) and, when sync is set, fsyncs before returning.
func (s *FileSink) Append(r Record, sync bool) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, ErrClosed
	}
	if s.broken {
		if err := s.recoverLocked(); err != nil {
			return Record{}, err
		}
	}
	sealed, err := s.head.seal(r)
	if err != nil {
		return Record{}, err
	}
	line, err := encodeLine(sealed.w)
	if err != nil {
		return Record{}, err
	}
	if s.rot > 0 && s.inFile > 0 && s.size+int64(len(line)) > s.rot {
		if err := s.rotateLocked(); err != nil {
			return Record{}, err
		}
	}
	if err := s.writeLocked(line, sync); err != nil {
		return Record{}, err
	}
	s.head = sealed.head()
	s.inFile++
	s.since++
	if s.key != nil && s.every > 0 && s.since >= s.every {
		if err := s.checkpointLocked(); err != nil {
			s.broken = true // the record is committed; recover on next Append
			handle(err)
		}
	}
	return sealed, nil
}

// writeLocked writes one complete line; on failure the sink is broken.
func (s *FileSink) writeLocked(line []byte, sync bool) error {
	n, err := s.f.Write(line)
	if err == nil && sync {
		err = s.f.Sync()
	}
	if err != nil {
		s.broken = true
		return fmt.Errorf("audit: write %s: %w", s.f.Name(), err)
	}
	s.size += int64(n)
	return nil
}

func (s *FileSink) checkpointLocked() error {
	c, err := newCheckpoint(s.key, s.head, s.cp, s.now())
	if err != nil {
		return err
	}
	line, err := encodeLine(c)
	if err != nil {
		return err
	}
	if err := s.writeLocked(line, true); err != nil {
		return err
	}
	s.cp, s.since = c.Hash, 0
	return nil
}

// rotateLocked starts segment index+1 with a segment line carrying the head.
func (s *FileSink) rotateLocked() error {
	prev := segmentPath(s.base, s.index)
	if err := s.createLocked(s.index+1, filepath.Base(prev)); err != nil {
		return err
	}
	return nil
}

// createLocked creates segment index and makes it current.
func (s *FileSink) createLocked(index int, prevFile string) error {
	path := segmentPath(s.base, index)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("audit: create %s: %w", path, err)
	}
	hdr := wireSegment{Type: lineSegment, Index: index, Time: s.now().UTC().Format(time.RFC3339Nano),
		PrevFile: prevFile, Count: s.head.Count, Head: s.head.Hash, Checkpoint: s.cp}
	line, err := encodeLine(hdr)
	if err == nil {
		_, err = f.Write(line)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(path)
	}
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("audit: start %s: %w", path, err)
	}
	if s.f != nil {
		if cerr := s.f.Close(); cerr != nil && !s.broken {
			handle(fmt.Errorf("audit: close %s: %w", s.f.Name(), cerr))
		}
	}
	s.f, s.index, s.size, s.inFile, s.broken = f, index, int64(len(line)), 0, false
	return nil
}

// recoverLocked rotates away from a file whose last write failed and
// chains a truncation record for any bytes that write left behind.
func (s *FileSink) recoverLocked() error {
	path := segmentPath(s.base, s.index)
	tail, err := readTail(path, s.size)
	if err != nil {
		return err
	}
	if err := s.rotateLocked(); err != nil {
		return err
	}
	return s.markLocked(path, tail)
}

// markLocked appends a truncation record for tail (if any) and syncs.
func (s *FileSink) markLocked(path string, t tailInfo) error {
	if t.bytes == 0 {
		return nil
	}
	r := Record{w: wireRecord{Type: lineRecord, ID: newID(), Kind: KindTruncation,
		TruncFile: filepath.Base(path), TruncOffset: t.offset, TruncBytes: t.bytes, TruncSHA256: t.sha256}}
	r.t = s.now().UTC()
	r.w.Time = r.t.Format(time.RFC3339Nano)
	sealed, err := s.head.seal(r)
	if err != nil {
		return err
	}
	line, err := encodeLine(sealed.w)
	if err != nil {
		return err
	}
	if err := s.writeLocked(line, true); err != nil {
		return err
	}
	s.head = sealed.head()
	s.inFile++
	s.since++
	return nil
}
