package audit

import (
	"errors"
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
// write(2) and, when sync is set, fsyncs before returning. After a failed
// write it first tries [FileSink.Recover].
func (s *FileSink) Append(r Record, sync bool) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, ErrClosed
	}
	if s.broken != nil {
		if err := s.recoverLocked(); err != nil {
			return Record{}, err
		}
	}
	sealed, err := s.appendLocked(r, sync)
	if err != nil {
		return Record{}, err
	}
	if s.key != nil && s.every > 0 && s.since >= s.every {
		if err := s.checkpointLocked(); err != nil {
			handle(err) // the record is committed; recover on the next Append
		}
	}
	return sealed, nil
}

// appendLocked seals r and writes it, rotating first when the file is full.
func (s *FileSink) appendLocked(r Record, sync bool) (Record, error) {
	sealed, err := s.head.seal(r, s.mac)
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
	return sealed, nil
}

// writeLocked writes one complete line; on failure the sink is broken until
// it recovers.
func (s *FileSink) writeLocked(line []byte, sync bool) error {
	n, err := s.f.Write(line)
	if err == nil && sync {
		err = s.f.Sync()
	}
	if err != nil {
		return s.breakLocked(fmt.Errorf("audit: write %s: %w", s.f.Name(), err))
	}
	s.size += int64(n)
	return nil
}

// breakLocked records why writing failed, wakes whoever recovers, and
// returns err.
func (s *FileSink) breakLocked(err error) error {
	if s.broken == nil {
		s.broken = err
		s.wake()
	}
	return err
}

// checkpointLocked signs the head into the current file and publishes it.
func (s *FileSink) checkpointLocked() error {
	c, err := newCheckpoint(s.key, wireCheckpoint{Count: s.head.Count, Head: s.head.Hash, Prev: s.cp,
		Log: s.logID, MACKey: s.segKey, Segment: s.segHash}, s.now())
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
	t, _ := time.Parse(time.RFC3339Nano, c.Time)
	s.pub.publish(c, s.index, s.fileName(s.index), t)
	return nil
}

// rotateLocked signs the head into the current file (so the records after
// the last checkpoint are always in the newest file) and starts segment
// index+1 with a segment line carrying the chain state.
func (s *FileSink) rotateLocked() error {
	if s.key != nil && s.since > 0 {
		if err := s.checkpointLocked(); err != nil {
			return err
		}
	}
	return s.createLocked(s.index+1, s.fileName(s.index))
}

// createLocked creates segment index, writes its segment line and makes it
// current. The new file is keyed with the configured MAC key.
func (s *FileSink) createLocked(index int, prevFile string) error {
	path := segmentPath(s.base, index)
	if err := checkRegular(path); err != nil {
		return err
	}
	hdr := wireSegment{Type: lineSegment, Index: index, Time: s.now().UTC().Format(time.RFC3339Nano),
		PrevFile: prevFile, Count: s.head.Count, Head: s.head.Hash, Checkpoint: s.cp,
		Log: s.logID, MACKey: s.mac.keyID()}
	line, err := encodeLine(hdr)
	if err != nil {
		return err
	}
	f, err := s.fsys.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return s.breakLocked(fmt.Errorf("audit: create %s: %w", path, err))
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDirOf(s.fsys, path)
	}
	if err != nil {
		// Nothing was chained into it: remove it so the next attempt can
		// create it again.
		err = errors.Join(err, f.Close(), s.fsys.Remove(path))
		return s.breakLocked(fmt.Errorf("audit: start %s: %w", path, err))
	}
	if s.f != nil {
		if cerr := s.f.Close(); cerr != nil && s.broken == nil {
			handle(fmt.Errorf("audit: close %s: %w", s.f.Name(), cerr))
		}
	}
	s.f, s.index, s.size, s.inFile, s.broken = f, index, int64(len(line)), 0, nil
	s.segKey, s.segHash = hdr.MACKey, sha256Hex(line[:len(line)-1])
	return nil
}

// recoverLocked rotates away from a file whose last write failed, signs
// the head in the new file, and chains a truncation record for the bytes
// each failed write left behind.
func (s *FileSink) recoverLocked() error {
	path := segmentPath(s.base, s.index)
	tail, err := readTail(path, s.size)
	if err != nil {
		return s.breakLocked(err)
	}
	if tail.bytes > 0 {
		s.undeclared = append(s.undeclared, tornBytes{path: path, tail: tail})
		s.size += tail.bytes // declared once, whatever happens next
	}
	if err := s.createLocked(s.index+1, filepath.Base(path)); err != nil {
		return err
	}
	if s.key != nil && s.since > 0 {
		if err := s.checkpointLocked(); err != nil {
			return err
		}
	}
	return s.declareLocked()
}

// tornBytes are bytes at the end of a file that no record covers yet.
type tornBytes struct {
	path string
	tail tailInfo
}

// declareLocked appends and syncs a truncation record for each file left
// with uncommitted bytes.
func (s *FileSink) declareLocked() error {
	for len(s.undeclared) > 0 {
		u := s.undeclared[0]
		if err := s.systemLocked(wireRecord{Kind: KindTruncation, TruncFile: filepath.Base(u.path),
			TruncOffset: u.tail.offset, TruncBytes: u.tail.bytes, TruncSHA256: u.tail.sha256}); err != nil {
			return err
		}
		s.undeclared = s.undeclared[1:]
	}
	return nil
}

// recoveryLocked appends and syncs the recovery record naming the tail a
// crashed writer left after the last checkpoint (verified before).
func (s *FileSink) recoveryLocked(tailMAC bool) error {
	w := wireRecord{Kind: KindRecovery, CrashSeq: s.head.Count, TailRecords: uint64(s.since), TailHead: s.head.Hash}
	w.TailMAC = tailMAC && s.since > 0
	return s.systemLocked(w)
}

// systemLocked appends a record the sink writes on its own behalf.
func (s *FileSink) systemLocked(w wireRecord) error {
	now := s.now().UTC()
	w.Type, w.ID, w.Time = lineRecord, newID(), now.Format(time.RFC3339Nano)
	_, err := s.appendLocked(Record{w: w, t: now}, true)
	return err
}
