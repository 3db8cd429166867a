package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
)

// walker replays the chain over all entries and stops at the first problem.
type walker struct {
	pub     ed25519.PublicKey
	ents    []entry
	files   int
	rep     *Report
	head    Head
	cp      string
	segment int // index of the current file's segment
	last    int // entry index of the last accepted record (-1: none)
	bySeq   map[uint64]int
	marks   map[string]wireRecord // truncation records by file base name
}

func newWalker(pub ed25519.PublicKey, ents []entry, files int, rep *Report) *walker {
	w := &walker{pub: pub, ents: ents, files: files, rep: rep, last: -1,
		bySeq: make(map[uint64]int), marks: make(map[string]wireRecord)}
	for _, e := range ents {
		if e.isRec && e.rec.Kind == KindTruncation {
			w.marks[e.rec.TruncFile] = e.rec
		}
	}
	return w
}

func (w *walker) fail(e entry, k Problem, seq uint64, format string, a ...any) {
	f := Finding{Kind: k, File: e.file, Line: e.line, Seq: seq, Detail: fmt.Sprintf(format, a...)}
	w.rep.First = &f
}

func (w *walker) run() {
	for i := 0; i < len(w.ents) && w.rep.First == nil; i++ {
		e := w.ents[i]
		if m, ok := w.marks[filepath.Base(e.file)]; ok && e.off >= m.TruncOffset {
			i = w.skipTail(i, m)
			continue
		}
		switch {
		case e.incomplete:
			w.fail(e, Truncated, 0, "incomplete last line (%d bytes): the writer stopped mid-write", len(e.raw))
		case e.line == 1:
			w.segmentLine(e)
		case e.typ == lineRecord:
			w.record(i)
		case e.typ == lineCheckpoint:
			w.checkpoint(e)
		case e.typ == lineSegment:
			w.fail(e, Inserted, 0, "segment line inside a file")
		default:
			w.fail(e, Modified, 0, "not an audit line (type %q)", e.typ)
		}
	}
}

// skipTail checks that marker m declares exactly the bytes from entry i to
// the end of its file, records a recovered truncation and returns the
// index of that file's last entry.
func (w *walker) skipTail(i int, m wireRecord) int {
	e := w.ents[i]
	j, size := i, e.off
	for ; j < len(w.ents) && w.ents[j].fileNo == e.fileNo; j++ {
		size = w.ents[j].off + int64(len(w.ents[j].raw))
		if !w.ents[j].incomplete {
			size++
		}
	}
	var tail []byte
	for k := i; k < j; k++ {
		tail = append(tail, w.ents[k].raw...)
		if !w.ents[k].incomplete {
			tail = append(tail, '\n')
		}
	}
	if e.off != m.TruncOffset || size-m.TruncOffset != m.TruncBytes || sha256Hex(tail) != m.TruncSHA256 {
		w.fail(e, Modified, 0, "bytes from offset %d do not match the truncation record (seq %d)", m.TruncOffset, m.Seq)
		return j - 1
	}
	w.rep.Recovered = append(w.rep.Recovered, Finding{Kind: Truncated, File: e.file, Line: e.line, Seq: m.Seq,
		Detail: fmt.Sprintf("%d uncommitted byte(s) at offset %d, accounted for by truncation record seq %d", m.TruncBytes, m.TruncOffset, m.Seq)})
	return j - 1
}

func (w *walker) segmentLine(e entry) {
	var s wireSegment
	if e.typ != lineSegment || decodeStrict(e.raw, &s) != nil {
		w.fail(e, Modified, 0, "first line is not a valid segment line")
		return
	}
	if e.fileNo == 0 {
		w.segment, w.head, w.cp = s.Index, Head{Count: s.Count, Hash: s.Head}, s.Checkpoint
		if s.Index != 0 || s.Count != 0 {
			w.rep.Notes = append(w.rep.Notes, fmt.Sprintf("chain checked from segment %d (after record %d); earlier files not given", s.Index, s.Count))
		}
		return
	}
	switch {
	case s.Index > w.segment+1:
		w.fail(e, Deleted, 0, "segment(s) %d..%d missing", w.segment+1, s.Index-1)
	case s.Index <= w.segment:
		w.fail(e, Reordered, 0, "segment %d follows segment %d", s.Index, w.segment)
	case s.Count > w.head.Count:
		w.fail(e, Deleted, s.Count, "previous file ends at record %d, this file continues after record %d", w.head.Count, s.Count)
	case s.Count < w.head.Count:
		w.fail(e, Inserted, s.Count, "previous file ends at record %d, this file continues after record %d", w.head.Count, s.Count)
	case s.Head != w.head.Hash || s.Checkpoint != w.cp:
		w.fail(e, Modified, s.Count, "segment line does not match the end of the previous file")
	}
	w.segment = s.Index
}

func (w *walker) checkpoint(e entry) {
	var c wireCheckpoint
	if err := decodeStrict(e.raw, &c); err != nil {
		w.fail(e, Modified, 0, "checkpoint line: %v", err)
		return
	}
	if err := checkCheckpoint(c, w.pub); err != nil {
		w.fail(e, BadSignature, c.Count, "%v", err)
		return
	}
	switch {
	case c.Prev != w.cp:
		w.fail(e, Deleted, c.Count, "previous checkpoint is missing or was replaced")
	case c.Count > w.head.Count:
		w.fail(e, Deleted, c.Count, "checkpoint covers %d records, only %d precede it", c.Count, w.head.Count)
	case c.Count < w.head.Count:
		w.fail(e, Inserted, c.Count, "checkpoint covers %d records, %d precede it", c.Count, w.head.Count)
	case c.Head != w.head.Hash:
		w.fail(e, Modified, c.Count, "records before this checkpoint were rewritten (signed head %.16s…, chain head %.16s…)", c.Head, w.head.Hash)
	default:
		w.cp, w.rep.Signed = c.Hash, c.Count
		w.rep.Checkpoints++
	}
}

func (w *walker) record(i int) {
	e := w.ents[i]
	var r wireRecord
	if err := decodeStrict(e.raw, &r); err != nil {
		w.fail(e, Modified, e.rec.Seq, "%v", err)
		return
	}
	if h, err := recordHash(r); err != nil || h != r.Hash {
		if n := w.nextRecord(i); n != nil && n.Seq == w.head.Count+1 && n.PrevHash == w.head.Hash {
			w.fail(e, Inserted, r.Seq, "line is not part of the chain (next record links to the one before it)")
			return
		}
		w.fail(e, Modified, r.Seq, "record content does not match its hash")
		return
	}
	want := w.head.Count + 1
	switch {
	case r.Seq == want && r.PrevHash == w.head.Hash:
		w.head, w.last = Head{Count: r.Seq, Hash: r.Hash}, i
		w.bySeq[r.Seq] = i
	case r.Seq == want:
		w.linkBroken(e, r)
	case r.Seq < want:
		w.backwards(e, r)
	case w.appearsLater(i, want):
		w.fail(e, Reordered, r.Seq, "record %d comes before record %d", r.Seq, want)
	default:
		w.fail(e, Deleted, r.Seq, "record(s) %d..%d missing before this line", want, r.Seq-1)
	}
}

// linkBroken: the record is in sequence but does not link to the head, so
// the record before it was edited and re-hashed.
func (w *walker) linkBroken(e entry, r wireRecord) {
	if w.last >= 0 {
		p := w.ents[w.last]
		w.fail(p, Modified, p.rec.Seq, "hash does not match prev_hash of the next record (%s:%d)", e.file, e.line)
		return
	}
	w.fail(e, Modified, r.Seq, "prev_hash does not match the chain state at the start of the file")
}

// backwards: a sequence number already used. Either a duplicated line or
// lines inserted after the record this one links to.
func (w *walker) backwards(e entry, r wireRecord) {
	if j, ok := w.bySeq[r.Seq]; ok && w.ents[j].rec.Hash == r.Hash {
		w.fail(e, Inserted, r.Seq, "duplicate of record %d (%s:%d)", r.Seq, w.ents[j].file, w.ents[j].line)
		return
	}
	if j, ok := w.bySeq[r.Seq-1]; ok && w.ents[j].rec.Hash == r.PrevHash && j+1 < len(w.ents) {
		first := w.ents[j+1]
		w.fail(first, Inserted, r.Seq, "line(s) inserted after record %d; the genuine record %d is at %s:%d", r.Seq-1, r.Seq, e.file, e.line)
		return
	}
	w.fail(e, Reordered, r.Seq, "record %d appears after record %d", r.Seq, w.head.Count)
}

func (w *walker) appearsLater(i int, seq uint64) bool {
	for _, e := range w.ents[i+1:] {
		if e.isRec && e.rec.Seq == seq {
			return true
		}
	}
	return false
}

func (w *walker) nextRecord(i int) *wireRecord {
	for _, e := range w.ents[i+1:] {
		if e.isRec {
			var r wireRecord
			if json.Unmarshal(e.raw, &r) == nil {
				return &r
			}
		}
	}
	return nil
}
