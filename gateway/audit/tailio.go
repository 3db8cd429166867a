package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLine bounds one line of an audit file while resuming: a record with
// the largest plaintext arguments is far below it, so a longer line is
// corruption, not a record.
const maxLine = 1 << 20

// chunk is how much of a file is read at a time when scanning backward.
const chunk = 64 << 10

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLine)

// lastIndex returns the offset of the last occurrence of pat in [start,
// end) of r, or -1. It reads backward in chunks, so memory does not depend
// on the distance scanned.
func lastIndex(r io.ReaderAt, start, end int64, pat []byte) (int64, error) {
	buf := make([]byte, chunk+len(pat))
	hi := end
	for hi > start {
		lo := max(start, hi-chunk)
		top := min(end, hi+int64(len(pat))-1) // overlap: a match across the chunk boundary
		b := buf[:top-lo]
		if _, err := r.ReadAt(b, lo); err != nil && !errors.Is(err, io.EOF) {
			return -1, err
		}
		if i := bytes.LastIndex(b, pat); i >= 0 {
			return lo + int64(i), nil
		}
		hi = lo
	}
	return -1, nil
}

// committedEnd returns the offset just after the last newline of the first
// size bytes of r (0 if there is none).
func committedEnd(r io.ReaderAt, size int64) (int64, error) {
	i, err := lastIndex(r, 0, size, []byte{'\n'})
	return i + 1, err
}

// lineReader reads newline-terminated lines of at most maxLine bytes.
type lineReader struct {
	br  *bufio.Reader
	buf []byte
	off int64 // offset of the next line, relative to the reader's start
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, chunk)}
}

// next returns the next line without its newline and the offset it starts
// at. At the end it returns io.EOF; bytes without a final newline are
// io.ErrUnexpectedEOF. The line is valid until the next call.
func (l *lineReader) next() ([]byte, int64, error) {
	l.buf = l.buf[:0]
	start := l.off
	for {
		part, err := l.br.ReadSlice('\n')
		l.buf = append(l.buf, part...)
		l.off += int64(len(part))
		if len(l.buf) > maxLine+1 {
			return nil, start, errLineTooLong
		}
		switch {
		case err == nil:
			return l.buf[:len(l.buf)-1], start, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(l.buf) == 0:
			return nil, start, io.EOF
		case errors.Is(err, io.EOF):
			return nil, start, io.ErrUnexpectedEOF
		default:
			return nil, start, err
		}
	}
}
