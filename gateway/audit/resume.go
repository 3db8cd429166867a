package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// tailInfo describes uncommitted bytes at the end of a file.
type tailInfo struct {
	offset, bytes int64
	sha256        string
}

// readTail returns the bytes of path after offset.
func readTail(path string, offset int64) (tailInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return tailInfo{}, fmt.Errorf("audit: recover %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, offset, 1<<62))
	if err != nil {
		return tailInfo{}, fmt.Errorf("audit: recover %s: %w", path, err)
	}
	t := tailInfo{offset: offset, bytes: int64(len(b))}
	if len(b) > 0 {
		t.sha256 = sha256Hex(b)
	}
	return t, nil
}

// fileState is what scanning one file yields.
type fileState struct {
	header    bool  // the file starts with a complete segment line
	committed int64 // offset after the last complete line
	size      int64
	records   int
	head      Head
	cp        string
	since     int
}

// scanFile reads path and replays its complete lines on top of the state
// its segment line declares. Bytes after the last newline are a crash tail.
func scanFile(path string) (fileState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return fileState{}, fmt.Errorf("audit: resume %s: %w", path, err)
	}
	st := fileState{size: int64(len(data))}
	end := bytes.LastIndexByte(data, '\n') + 1
	st.committed = int64(end)
	for i, line := range bytes.Split(data[:end], []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if err := st.apply(i, line); err != nil {
			return st, fmt.Errorf("%w: %s line %d: %w", ErrCorruptLog, path, i+1, err)
		}
	}
	return st, nil
}

func (st *fileState) apply(i int, line []byte) error {
	typ, err := lineType(line)
	if err != nil {
		return err
	}
	if i == 0 && typ != lineSegment {
		return fmt.Errorf("first line is %q, want segment", typ)
	}
	switch typ {
	case lineSegment:
		var h wireSegment
		if err := json.Unmarshal(line, &h); err != nil || i != 0 {
			return fmt.Errorf("bad segment line: %v", err)
		}
		st.header, st.head, st.cp = true, Head{Count: h.Count, Hash: h.Head}, h.Checkpoint
	case lineRecord:
		var w wireRecord
		if err := json.Unmarshal(line, &w); err != nil {
			return err
		}
		st.head, st.records, st.since = Head{Count: w.Seq, Hash: w.Hash}, st.records+1, st.since+1
	case lineCheckpoint:
		var c wireCheckpoint
		if err := json.Unmarshal(line, &c); err != nil {
			return err
		}
		st.cp, st.since = c.Hash, 0
	default:
		return fmt.Errorf("unknown line type %q", typ)
	}
	return nil
}

// resume finds the newest file and continues its chain. A file that ends
// in an incomplete line is left byte-for-byte as it is: writing moves to
// the next segment, whose first record is a truncation record declaring
// the incomplete bytes (offset, length, SHA-256).
func (s *FileSink) resume() error {
	segs, err := Segments(s.base)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return s.createLocked(0, "")
	}
	s.index = segmentIndex(s.base, segs[len(segs)-1])
	path := segmentPath(s.base, s.index)
	st, err := scanFile(path)
	if err != nil {
		return err
	}
	if !st.header && s.index > 0 { // crashed while creating this segment
		prev, err := scanFile(segmentPath(s.base, s.index-1))
		if err != nil {
			return err
		}
		st.head, st.cp = prev.head, prev.cp
	}
	s.head, s.cp, s.since, s.inFile, s.size = st.head, st.cp, st.since, st.records, st.committed
	if st.committed == st.size && st.header {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("audit: resume %s: %w", path, err)
		}
		s.f = f
		return nil
	}
	tail, err := readTail(path, st.committed)
	if err != nil {
		return err
	}
	if err := s.createLocked(s.index+1, filepath.Base(path)); err != nil {
		return err
	}
	return s.markLocked(path, tail)
}
