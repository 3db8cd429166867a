package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTailRejected is wrapped (with [ErrCorruptLog]) by [OpenFile] when the
// records after the last checkpoint of the active file do not verify: a
// hash, a link or a MAC is wrong, or the last checkpoint's signature is. The
// writer refuses to start rather than sign such a tail; see the package
// documentation for what the operator does next.
var ErrTailRejected = errors.New("audit: the records after the last checkpoint do not verify; refusing to adopt them")

// checkpointPrefix starts every checkpoint line (type is always the first
// member), preceded by the newline that ends the line before it.
var checkpointPrefix = []byte("\n{\"type\":\"" + lineCheckpoint + "\",")

// tailInfo describes uncommitted bytes at the end of a file.
type tailInfo struct {
	offset, bytes int64
	sha256        string
}

// readTail returns the bytes of path after offset (at most what a torn
// line or a failed write leaves: one line).
func readTail(path string, offset int64) (tailInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return tailInfo{}, fmt.Errorf("audit: recover %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(io.NewSectionReader(f, offset, 1<<62), 4*maxLine))
	if err != nil {
		return tailInfo{}, fmt.Errorf("audit: recover %s: %w", path, err)
	}
	t := tailInfo{offset: offset, bytes: int64(len(b))}
	if len(b) > 0 {
		t.sha256 = sha256Hex(b)
	}
	return t, nil
}

// segmentTail is what resuming learns from one file, reading only its first
// line and its end: the chain state after its last complete line, and
// whether the records after its last checkpoint verify.
type segmentTail struct {
	path      string
	header    wireSegment
	segHash   string // SHA-256 of the segment line
	hasHeader bool   // the file starts with a complete segment line
	committed int64  // offset after the last complete line
	size      int64
	records   bool // lines follow the segment line
	head      Head
	cp        string // hash of the last checkpoint
	since     int    // records after the last checkpoint
	tailMAC   bool   // each of them carries a MAC that verifies under key
	key       *macKey
}

// torn returns the bytes after the last complete line (none: zero bytes).
func (t segmentTail) torn() (tailInfo, error) {
	if t.committed == t.size {
		return tailInfo{}, nil
	}
	return readTail(t.path, t.committed)
}

// readSegmentTail reads path's segment line, finds its last checkpoint by
// scanning backward, checks that checkpoint (its signature when pub is
// known) and replays the records after it: canonical form, hash, link and,
// in a keyed file, MAC under k. Memory does not depend on the file's size.
func readSegmentTail(path string, pub ed25519.PublicKey, k *macKey) (segmentTail, error) {
	t := segmentTail{path: path, key: k}
	f, err := os.Open(path)
	if err != nil {
		return t, fmt.Errorf("audit: resume %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return t, fmt.Errorf("audit: resume %s: %w", path, err)
	}
	t.size = fi.Size()
	if t.committed, err = committedEnd(f, t.size); err != nil || t.committed == 0 {
		return t, err // no complete line: crashed while creating the file
	}
	lr := newLineReader(io.NewSectionReader(f, 0, t.committed))
	line, _, err := lr.next()
	if err == nil {
		err = decodeStrict(line, &t.header)
	}
	if err != nil || t.header.Type != lineSegment {
		return t, fmt.Errorf("%w: %s: first line is not a segment line: %v", ErrCorruptLog, path, err)
	}
	t.segHash = sha256Hex(line)
	if err := checkKeying(t.header.MACKey, k); err != nil {
		return t, fmt.Errorf("%w: %s (key id %s)", err, path, t.header.MACKey)
	}
	t.hasHeader, t.records = true, lr.off < t.committed
	t.head, t.cp = Head{Count: t.header.Count, Hash: t.header.Head}, t.header.Checkpoint
	start := lr.off
	at, err := lastIndex(f, start-1, t.committed, checkpointPrefix)
	if err != nil {
		return t, fmt.Errorf("audit: resume %s: %w", path, err)
	}
	if at >= 0 {
		if start, err = t.anchor(f, at+1, pub); err != nil {
			return t, err
		}
	}
	t.tailMAC = t.header.MACKey != ""
	lr = newLineReader(io.NewSectionReader(f, start, t.committed-start))
	for {
		line, off, err := lr.next()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err == nil {
			err = t.adopt(line)
		}
		if err != nil {
			return t, fmt.Errorf("%w: %w: %s at offset %d (after record %d): %w", ErrCorruptLog, ErrTailRejected, path, start+off, t.head.Count, err)
		}
	}
}

// checkKeying refuses a keyed file without its key.
func checkKeying(fileKey string, k *macKey) error {
	switch {
	case fileKey == "":
		return nil
	case k == nil:
		return ErrMACKeyRequired
	case fileKey != k.id:
		return fmt.Errorf("%w (configured key id %s)", ErrMACKeyMismatch, k.id)
	}
	return nil
}

// anchor reads and checks the checkpoint line at off and makes it the chain
// state; it returns the offset after the line.
func (t *segmentTail) anchor(f io.ReaderAt, off int64, pub ed25519.PublicKey) (int64, error) {
	lr := newLineReader(io.NewSectionReader(f, off, t.committed-off))
	line, _, err := lr.next()
	var c wireCheckpoint
	if err == nil {
		err = decodeStrict(line, &c)
	}
	if err == nil {
		err = verifyCheckpoint(c, pub)
	}
	if err == nil && (c.MACKey != t.header.MACKey || c.Log != t.header.Log || (c.Segment != "" && c.Segment != t.segHash)) {
		err = fmt.Errorf("checkpoint names log %q, MAC key %q, segment line %.16s…; the file has %q, %q, %.16s…",
			c.Log, c.MACKey, c.Segment, t.header.Log, t.header.MACKey, t.segHash)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %w: %s: last checkpoint at offset %d: %w", ErrCorruptLog, ErrTailRejected, t.path, off, err)
	}
	t.head, t.cp = Head{Count: c.Count, Hash: c.Head}, c.Hash
	return off + lr.off, nil
}

// verifyCheckpoint checks c's signature under pub, or only its hash when
// no key is known.
func verifyCheckpoint(c wireCheckpoint, pub ed25519.PublicKey) error {
	if pub != nil {
		return checkCheckpoint(c, pub)
	}
	return checkCheckpointHash(c)
}

// adopt checks one line after the anchor and advances the state.
func (t *segmentTail) adopt(line []byte) error {
	var w wireRecord
	if err := decodeStrict(line, &w); err != nil {
		return err
	}
	if w.Type != lineRecord {
		return fmt.Errorf("a %q line after the last checkpoint", w.Type)
	}
	if h, err := recordHash(w); err != nil || h != w.Hash {
		return errors.New("record content does not match its hash")
	}
	if w.Seq != t.head.Count+1 || w.PrevHash != t.head.Hash {
		return fmt.Errorf("record %d does not follow record %d", w.Seq, t.head.Count)
	}
	if err := checkRecordMAC(w, t.header.MACKey != "", t.key); err != nil {
		return err
	}
	t.head = Head{Count: w.Seq, Hash: w.Hash}
	t.since++
	return nil
}

// checkRecordMAC checks that w has a MAC exactly when its file is keyed and,
// with k, that the MAC verifies.
func checkRecordMAC(w wireRecord, keyed bool, k *macKey) error {
	switch {
	case keyed && w.MAC == "":
		return errors.New("record has no MAC in a keyed file")
	case !keyed && w.MAC != "":
		return errors.New("record has a MAC in an unkeyed file")
	case keyed && k != nil && !k.check(w):
		return errors.New("MAC does not verify: the record was written or changed without the MAC key")
	}
	return nil
}

// resume continues the chain from the newest file. It reads only that
// file's first line and its end (and, if the file has no complete first
// line, the previous file's end). A torn tail is left byte-for-byte as it
// is: writing moves to the next segment, where a truncation record declares
// the bytes. After a crash (a torn tail, or records after the last
// checkpoint) with a signing key, a recovery record names the adopted tail
// and a checkpoint signs it. A legacy or differently keyed file also moves
// writing to a new segment, so each file is keyed one way.
func (s *FileSink) resume() error {
	if err := checkRegular(s.base); err != nil {
		return err
	}
	segs, err := Segments(s.base)
	if err != nil {
		return err
	}
	for _, p := range segs {
		if err := checkRegular(p); err != nil {
			return err
		}
	}
	if len(segs) == 0 {
		s.logID = newLogID()
		return s.createLocked(0, "")
	}
	s.index = segmentIndex(s.base, segs[len(segs)-1])
	path := segmentPath(s.base, s.index)
	t, last, err := s.readEnd(path)
	if err != nil {
		return err
	}
	s.head, s.cp, s.since, s.logID = last.head, last.cp, last.since, last.header.Log
	s.segKey, s.segHash = t.header.MACKey, t.segHash
	crash := len(s.undeclared) > 0 || (s.key != nil && s.since > 0)
	if !t.hasHeader || len(s.undeclared) > 0 || s.logID == "" || s.segKey != s.mac.keyID() {
		if s.logID == "" {
			s.logID = newLogID()
		}
		next := s.index + 1
		if !t.hasHeader && t.size == 0 { // crashed right after creating it: reuse the name
			if err := s.fsys.Remove(path); err != nil {
				return fmt.Errorf("audit: resume %s: %w", path, err)
			}
			next = s.index
		}
		prevFile := ""
		if next > 0 {
			prevFile = s.fileName(next - 1)
		}
		if err := s.createLocked(next, prevFile); err != nil {
			return err
		}
	} else {
		f, err := s.fsys.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("audit: resume %s: %w", path, err)
		}
		s.f, s.size = f, t.committed
		if t.records {
			s.inFile = 1
		}
	}
	if crash && s.key != nil {
		if err := s.recoveryLocked(last.tailMAC); err != nil {
			return err
		}
	}
	if err := s.declareLocked(); err != nil {
		return err
	}
	if s.key != nil && s.since > 0 {
		return s.checkpointLocked()
	}
	return nil
}

// readEnd reads the end of the newest file path and returns it and the
// file whose state the chain continues from: path itself, or the previous
// file when a crash left path without a complete segment line. Torn bytes
// go to s.undeclared.
func (s *FileSink) readEnd(path string) (t, last segmentTail, err error) {
	var pub ed25519.PublicKey
	if s.key != nil {
		pub = s.key.Public().(ed25519.PublicKey)
	}
	if t, err = readSegmentTail(path, pub, s.mac); err != nil {
		return t, t, err
	}
	last = t
	if !t.hasHeader && s.index > 0 {
		prev := segmentPath(s.base, s.index-1)
		if last, err = readSegmentTail(prev, pub, s.mac); err != nil {
			return t, last, err
		}
		if !last.hasHeader {
			return t, last, fmt.Errorf("%w: neither %s nor %s starts with a segment line", ErrCorruptLog, prev, path)
		}
		if err := s.collectTorn(last); err != nil {
			return t, last, err
		}
	}
	return t, last, s.collectTorn(t)
}

// collectTorn adds t's bytes after its last complete line to s.undeclared.
func (s *FileSink) collectTorn(t segmentTail) error {
	tb, err := t.torn()
	if err != nil || tb.bytes == 0 {
		return err
	}
	s.undeclared = append(s.undeclared, tornBytes{path: t.path, tail: tb})
	return nil
}
