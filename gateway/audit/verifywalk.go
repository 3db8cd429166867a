package audit

import (
	"fmt"
	"path/filepath"
)

// walker replays the chain over all entries. It reports every problem and
// then resynchronizes on what the file claims, so one change yields one
// finding and later changes are still found.
type walker struct {
	cfg     VerifyConfig
	mac     *macKey
	ents    []entry
	rep     *Report
	head    Head
	cp      string
	segment int
	log     string
	segKey  string // MAC key id of the current file
	segHash string // SHA-256 of the current file's segment line
	pinned  string // MAC key id the last valid checkpoint signed
	last    int    // entry index of the last accepted record (-1: none)
	resync  bool   // the previous line had a finding: accept the next link as it is
	bySeq   map[uint64]int
	marks   map[string]wireRecord // truncation records by file base name
	flagged map[int]bool          // entries with a finding
	skipped map[uint64]string     // hashes of records reported as out of order

	keyedFiles, unkeyedFiles       int
	lastKeyed                      bool // the newest file's segment line names a MAC key
	unkeyedWithKey                 bool // a MAC key was given for a log whose newest file is unkeyed
	tailVerified, tailUnverified   uint64
	tailUnkeyed, adoptedUnverified uint64
	pinFound                       bool
}

func newWalker(cfg VerifyConfig, mac *macKey, ents []entry, rep *Report) *walker {
	w := &walker{cfg: cfg, mac: mac, ents: ents, rep: rep, last: -1, bySeq: make(map[uint64]int),
		marks: make(map[string]wireRecord), flagged: make(map[int]bool), skipped: make(map[uint64]string)}
	for _, e := range ents {
		if e.isRec && e.rec.Kind == KindTruncation {
			w.marks[e.rec.TruncFile] = e.rec
		}
	}
	return w
}

func (w *walker) fail(i int, k Problem, seq uint64, format string, a ...any) {
	e := w.ents[i]
	w.flagged[i] = true
	w.rep.Findings = append(w.rep.Findings, Finding{Kind: k, File: e.file, Line: e.line, Seq: seq, Detail: fmt.Sprintf(format, a...)})
}

func (w *walker) run() {
	for i := 0; i < len(w.ents); i++ {
		e := w.ents[i]
		if m, ok := w.marks[filepath.Base(e.file)]; ok && e.off >= m.TruncOffset {
			i = w.skipTail(i, m)
			continue
		}
		switch {
		case e.incomplete:
			w.torn(i)
		case e.line == 1:
			w.segmentLine(i)
		case e.typ == lineRecord:
			w.record(i)
		case e.typ == lineCheckpoint:
			w.checkpoint(i)
		case e.typ == lineSegment:
			w.fail(i, Inserted, 0, "segment line inside a file")
		default:
			w.fail(i, Modified, 0, "not an audit line (type %q)", e.typ)
			w.resync = true
		}
	}
}

// torn reports an incomplete last line no truncation record declares.
func (w *walker) torn(i int) {
	e := w.ents[i]
	if i+1 < len(w.ents) {
		w.fail(i, Torn, 0, "incomplete last line (%d bytes) that no truncation record declares; the check goes on with the next file", len(e.raw))
		return
	}
	w.fail(i, Torn, 0, "incomplete last line (%d bytes): the writer stopped mid-write (or is writing it now)", len(e.raw))
}

// skipTail checks that marker m declares exactly the bytes from entry i to
// the end of its file, records a recovered truncation and returns the
// index of that file's last entry.
func (w *walker) skipTail(i int, m wireRecord) int {
	e := w.ents[i]
	j := i
	var tail []byte
	for ; j < len(w.ents) && w.ents[j].fileNo == e.fileNo; j++ {
		tail = append(tail, w.ents[j].raw...)
		if !w.ents[j].incomplete {
			tail = append(tail, '\n')
		}
	}
	if e.line == 1 { // the whole file: it never got its segment line
		_, w.segment = splitSegment(e.file)
	}
	if e.off != m.TruncOffset || int64(len(tail)) != m.TruncBytes || sha256Hex(tail) != m.TruncSHA256 {
		w.fail(i, Modified, 0, "bytes from offset %d do not match the truncation record (seq %d)", m.TruncOffset, m.Seq)
		return j - 1
	}
	w.rep.Recovered = append(w.rep.Recovered, Finding{Kind: Torn, File: e.file, Line: e.line, Seq: m.Seq,
		Detail: fmt.Sprintf("%d uncommitted byte(s) at offset %d, declared by truncation record seq %d", m.TruncBytes, m.TruncOffset, m.Seq)})
	return j - 1
}

func (w *walker) segmentLine(i int) {
	e := w.ents[i]
	var s wireSegment
	if e.typ != lineSegment || decodeStrict(e.raw, &s) != nil {
		w.fail(i, Modified, 0, "first line is not a valid segment line")
		w.resync = true
		return
	}
	w.segHash = sha256Hex(e.raw)
	if s.MACKey != "" {
		w.keyedFiles++
	} else {
		w.unkeyedFiles++
	}
	w.lastKeyed = s.MACKey != ""
	if w.mac != nil && s.MACKey != "" && s.MACKey != w.mac.id {
		w.fail(i, BadMAC, 0, "the file is keyed with MAC key %s; the given key is %s", s.MACKey, w.mac.id)
	}
	state := Head{Count: s.Count, Hash: s.Head}
	if e.fileNo == 0 {
		w.segment, w.head, w.cp, w.log, w.segKey = s.Index, state, s.Checkpoint, s.Log, s.MACKey
		if s.Index != 0 || s.Count != 0 {
			if w.cfg.Archived {
				w.rep.Notes = append(w.rep.Notes, fmt.Sprintf("chain checked from segment %d (after record %d); earlier files archived (--archived)", s.Index, s.Count))
			} else {
				w.rep.Findings = append(w.rep.Findings, Finding{Kind: Truncated, File: e.file, Line: e.line,
					Detail: fmt.Sprintf("the log starts at segment %d, after record %d: its earlier files are missing (give them, or --archived if they were archived on purpose)", s.Index, s.Count)})
			}
		}
		return
	}
	mismatch := true
	switch {
	case s.Index > w.segment+1:
		w.fail(i, Deleted, 0, "segment(s) %d..%d missing", w.segment+1, s.Index-1)
	case s.Index <= w.segment:
		w.fail(i, Reordered, 0, "segment %d follows segment %d", s.Index, w.segment)
	case s.Count > w.head.Count:
		w.fail(i, Deleted, s.Count, "previous file ends at record %d, this file continues after record %d", w.head.Count, s.Count)
	case s.Count < w.head.Count:
		w.fail(i, Inserted, s.Count, "previous file ends at record %d, this file continues after record %d", w.head.Count, s.Count)
	case s.Head != w.head.Hash || s.Checkpoint != w.cp:
		w.fail(i, Modified, s.Count, "segment line does not match the end of the previous file")
	default:
		mismatch = false
	}
	switch {
	case w.log != "" && s.Log != w.log:
		w.fail(i, Modified, s.Count, "segment line names log %q, the previous file log %q", s.Log, w.log)
	case w.segKey != "" && s.MACKey == "":
		w.fail(i, BadMAC, s.Count, "the previous file is MAC-keyed and this one is not: the MAC was stripped")
	case w.pinned != "" && s.MACKey != w.pinned:
		w.fail(i, BadMAC, s.Count, "a signed checkpoint pins MAC key %s; this file names %q", w.pinned, s.MACKey)
	}
	if mismatch {
		w.head, w.cp, w.resync = state, s.Checkpoint, true
	}
	w.segment, w.segKey = s.Index, s.MACKey
	if s.Log != "" {
		w.log = s.Log
	}
}

func (w *walker) checkpoint(i int) {
	e := w.ents[i]
	var c wireCheckpoint
	if err := decodeStrict(e.raw, &c); err != nil {
		w.fail(i, Modified, 0, "checkpoint line: %v", err)
		return
	}
	if err := checkCheckpoint(c, w.cfg.PublicKey); err != nil {
		w.fail(i, BadSignature, c.Count, "%v", err)
		w.cp = c.Hash
		return
	}
	if c.Prev != w.cp {
		w.fail(i, Deleted, c.Count, "previous checkpoint is missing or was replaced")
	}
	switch {
	case c.Count > w.head.Count:
		w.fail(i, Deleted, c.Count, "checkpoint covers %d records, only %d precede it", c.Count, w.head.Count)
	case c.Count < w.head.Count:
		w.fail(i, Inserted, c.Count, "checkpoint covers %d records, %d precede it", c.Count, w.head.Count)
	case c.Head != w.head.Hash:
		w.fail(i, Modified, c.Count, "records before this checkpoint were rewritten (signed head %.16s…, chain head %.16s…)", c.Head, w.head.Hash)
	}
	if (c.Log != "" && c.Log != w.log) || c.MACKey != w.segKey {
		w.fail(i, Modified, c.Count, "checkpoint signs log %q, MAC key %q; the file names %q, %q", c.Log, c.MACKey, w.log, w.segKey)
	}
	if c.Segment != "" && c.Segment != w.segHash {
		w.fail(i, Modified, c.Count, "the file's segment line is not the one this checkpoint signs")
	}
	w.head, w.cp, w.pinned = Head{Count: c.Count, Hash: c.Head}, c.Hash, c.MACKey
	w.rep.Signed, w.rep.LastCheckpoint = c.Count, c.Hash
	w.rep.Checkpoints++
	w.tailVerified, w.tailUnverified, w.tailUnkeyed = 0, 0, 0
}

func (w *walker) record(i int) {
	e := w.ents[i]
	var r wireRecord
	if err := decodeStrict(e.raw, &r); err != nil {
		w.fail(i, Modified, e.rec.Seq, "%v", err)
		if e.isRec {
			w.head, w.last = Head{Count: e.rec.Seq, Hash: e.rec.Hash}, i
		}
		w.resync = true
		return
	}
	if h, err := recordHash(r); err != nil || h != r.Hash {
		if n := w.nextRecord(i); n != nil && n.Seq == w.head.Count+1 && n.PrevHash == w.head.Hash {
			w.fail(i, Inserted, r.Seq, "line is not part of the chain (next record links to the one before it)")
			return
		}
		w.fail(i, Modified, r.Seq, "record content does not match its hash")
		w.accept(i, r, false)
		return
	}
	verified := w.checkMAC(i, r)
	want := w.head.Count + 1
	switch {
	case w.resync || (r.Seq == want && r.PrevHash == w.head.Hash):
	case r.Seq == want:
		w.linkBroken(i, r)
	case r.Seq < want:
		if w.backwards(i, r) {
			return
		}
	case w.appearsLater(i, want):
		w.fail(i, Reordered, r.Seq, "record %d comes before record %d", r.Seq, want)
		w.skipped[r.Seq] = r.Hash
		return
	case w.skippedUpTo(want, r):
	default:
		w.fail(i, Deleted, r.Seq, "record(s) %d..%d missing before this line", want, r.Seq-1)
	}
	w.accept(i, r, verified)
}

// accept makes r the head.
func (w *walker) accept(i int, r wireRecord, verified bool) {
	w.resync = false
	if r.Kind == KindRecovery {
		w.recovery(i, r)
	}
	w.head, w.last = Head{Count: r.Seq, Hash: r.Hash}, i
	w.bySeq[r.Seq] = i
	if verified {
		w.tailVerified++
	} else {
		w.tailUnverified++
	}
	if r.MAC == "" {
		w.tailUnkeyed++
	}
	if p := w.cfg.ExpectHead; p != "" && len(p) <= len(r.Hash) && r.Hash[:len(p)] == p {
		w.pinFound = true
	}
}

// checkMAC reports a missing, unexpected or wrong MAC and returns whether
// the MAC was verified under the given key.
func (w *walker) checkMAC(i int, r wireRecord) bool {
	k := w.mac
	if k != nil && k.id != w.segKey {
		k = nil // reported once for the file
	}
	if err := checkRecordMAC(r, w.segKey != "", k); err != nil {
		w.fail(i, BadMAC, r.Seq, "%v", err)
		return false
	}
	return k != nil && w.segKey != ""
}

// recovery checks a recovery record against the chain before it.
func (w *walker) recovery(i int, r wireRecord) {
	switch {
	case r.CrashSeq != w.head.Count || r.TailHead != w.head.Hash:
		w.fail(i, Modified, r.Seq, "recovery record names record %d (%.16s…); the chain is at record %d", r.CrashSeq, r.TailHead, w.head.Count)
	case r.TailRecords != w.head.Count-w.rep.Signed:
		w.fail(i, Modified, r.Seq, "recovery record names %d adopted record(s); %d follow the last checkpoint", r.TailRecords, w.head.Count-w.rep.Signed)
	case r.TailMAC && w.tailUnkeyed > 0:
		w.fail(i, Modified, r.Seq, "recovery record claims a MAC-verified tail, but %d of its records carry no MAC", w.tailUnkeyed)
	}
	if !r.TailMAC {
		w.adoptedUnverified += w.tailUnverified
	}
	w.tailUnverified = 0
	w.rep.Recoveries = append(w.rep.Recoveries, Recovery{Seq: r.Seq, CrashSeq: r.CrashSeq,
		TailRecords: r.TailRecords, TailHead: r.TailHead, MACVerified: r.TailMAC})
}

// linkBroken: the record is in sequence but does not link to the head, so
// the record before it was edited and re-hashed.
func (w *walker) linkBroken(i int, r wireRecord) {
	switch {
	case w.last >= 0 && w.flagged[w.last]:
		// already reported
	case w.last >= 0:
		p := w.ents[w.last]
		w.fail(w.last, Modified, p.rec.Seq, "hash does not match prev_hash of the next record (%s:%d)", w.ents[i].file, w.ents[i].line)
	default:
		w.fail(i, Modified, r.Seq, "prev_hash does not match the chain state at the start of the file")
	}
}

// backwards: a sequence number already used. Either a duplicated line
// (skipped: it returns true) or lines inserted after the record this one
// links to (this one is the genuine record and becomes the head).
func (w *walker) backwards(i int, r wireRecord) bool {
	if j, ok := w.bySeq[r.Seq]; ok && w.ents[j].rec.Hash == r.Hash {
		w.fail(i, Inserted, r.Seq, "duplicate of record %d (%s:%d)", r.Seq, w.ents[j].file, w.ents[j].line)
		return true
	}
	if j, ok := w.bySeq[r.Seq-1]; ok && w.ents[j].rec.Hash == r.PrevHash && j+1 < len(w.ents) {
		w.fail(j+1, Inserted, r.Seq, "line(s) inserted after record %d; the genuine record %d is at %s:%d", r.Seq-1, r.Seq, w.ents[i].file, w.ents[i].line)
		return false
	}
	w.fail(i, Reordered, r.Seq, "record %d appears after record %d", r.Seq, w.head.Count)
	return true
}

// finish fills the report's totals and checks the pins.
func (w *walker) finish() {
	rep := w.rep
	rep.Records, rep.Head, rep.Log, rep.MACKey = w.head.Count, w.head.Hash, w.log, w.segKey
	if rep.Records > rep.Signed {
		rep.Tail = rep.Records - rep.Signed
	}
	rep.TailVerified, rep.Unverified = w.tailVerified, w.tailUnverified+w.adoptedUnverified
	switch {
	case w.unkeyedFiles == 0 && w.keyedFiles > 0:
		rep.Keying = "keyed"
	case w.mac != nil && !w.lastKeyed:
		// A keyed log is never continued unkeyed (the writer refuses, or
		// starts a keyed file), so where a MAC key is given an unsigned
		// unkeyed tail cannot be vouched for by --allow-unsigned-tail: it
		// may be a replacement of the log (see classify).
		rep.Keying = "unkeyed"
		w.unkeyedWithKey = true
	case w.keyedFiles == 0:
		rep.Keying = "unkeyed"
	default:
		rep.Keying = "mixed"
	}
	last := w.ents[len(w.ents)-1].file
	if w.cfg.ExpectHead != "" && !w.pinFound {
		rep.Findings = append(rep.Findings, Finding{Kind: Truncated, File: last,
			Detail: fmt.Sprintf("the pinned head %s is not in the chain (it ends at record %d): records were cut off or rewritten", w.cfg.ExpectHead, rep.Records)})
	}
	if w.cfg.MinRecords > rep.Records {
		rep.Findings = append(rep.Findings, Finding{Kind: Truncated, File: last,
			Detail: fmt.Sprintf("the chain holds %d record(s), at least %d were expected", rep.Records, w.cfg.MinRecords)})
	}
	if w.cfg.PublicKey == nil {
		rep.Notes = append(rep.Notes, "no checkpoints: only the hash chain was checked")
	}
}
