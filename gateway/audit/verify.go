package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrPublicKeyRequired is returned by [Verify] when the files contain
// checkpoints but no trusted public key was given.
var (
	ErrPublicKeyRequired = errors.New("audit: a trusted public key is needed to verify checkpoints")
	ErrNoFiles           = errors.New("audit: no audit files to verify")
)

// Problem is the kind of a verification finding.
type Problem string

// Verification findings. Truncated is a crash artifact, not tampering.
const (
	Modified     Problem = "modified"
	Deleted      Problem = "deleted"
	Inserted     Problem = "inserted"
	Reordered    Problem = "reordered"
	Truncated    Problem = "truncated"
	BadSignature Problem = "bad_signature"
)

// Finding locates one problem.
type Finding struct {
	Kind   Problem `json:"kind"`
	File   string  `json:"file"`
	Line   int     `json:"line"`
	Seq    uint64  `json:"seq,omitempty"`
	Detail string  `json:"detail"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Kind, f.Detail)
}

// Report is the result of [Verify].
type Report struct {
	Files       []string  `json:"files"`
	Records     uint64    `json:"records"`
	Head        string    `json:"head"`
	Checkpoints int       `json:"checkpoints"`
	Signed      uint64    `json:"signed"` // records covered by the last valid checkpoint
	Recovered   []Finding `json:"recovered,omitempty"`
	Notes       []string  `json:"notes,omitempty"`
	// First is the first problem found; verification stops there.
	First *Finding `json:"first,omitempty"`
}

// Intact reports whether no problem was found.
func (r Report) Intact() bool { return r.First == nil }

// Verify checks the hash chain across the given files (ordered by segment
// index when their names follow the rotation scheme), every checkpoint's
// signature under pub and its link to the previous one, and the segment
// lines between files. It reports the first problem. The error is for
// unreadable input, not for tampering.
func Verify(pub ed25519.PublicKey, paths ...string) (Report, error) {
	if len(paths) == 0 {
		return Report{}, ErrNoFiles
	}
	paths = orderPaths(paths)
	rep := Report{Files: paths}
	var ents []entry
	for i, p := range paths {
		e, err := loadFile(p, i)
		if err != nil {
			return rep, err
		}
		ents = append(ents, e...)
	}
	if pub == nil && slices.ContainsFunc(ents, func(e entry) bool { return e.typ == lineCheckpoint }) {
		return rep, ErrPublicKeyRequired
	}
	w := newWalker(pub, ents, len(paths), &rep)
	w.run()
	rep.Records, rep.Head = w.head.Count, w.head.Hash
	if pub == nil {
		rep.Notes = append(rep.Notes, "no checkpoints: only the hash chain was checked")
	}
	if rep.First == nil && rep.Records > rep.Signed {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d record(s) after the last checkpoint are not signed", rep.Records-rep.Signed))
	}
	return rep, nil
}

// entry is one line (or the incomplete tail) of an input file.
type entry struct {
	file       string
	fileNo     int
	line       int
	off        int64
	raw        []byte
	incomplete bool
	typ        string
	rec        wireRecord // leniently parsed, for look-ahead
	isRec      bool
}

func loadFile(path string, fileNo int) ([]entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	var out []entry
	off := 0
	for n := 1; off < len(data); n++ {
		e := entry{file: path, fileNo: fileNo, line: n, off: int64(off)}
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			e.raw, e.incomplete = data[off:], true
			off = len(data)
		} else {
			e.raw = data[off : off+end]
			off += end + 1
		}
		if !e.incomplete {
			e.typ, _ = lineType(e.raw)
			if e.typ == lineRecord && json.Unmarshal(e.raw, &e.rec) == nil {
				e.isRec = true
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// orderPaths sorts paths by segment index when they share one base.
func orderPaths(paths []string) []string {
	out := slices.Clone(paths)
	if len(out) == 0 {
		return out
	}
	base0, _ := splitSegment(out[0])
	for _, p := range out {
		if b, _ := splitSegment(p); b != base0 {
			return out // unrelated names: keep the given order
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		_, ia := splitSegment(a)
		_, ib := splitSegment(b)
		return ia - ib
	})
	return out
}

// splitSegment returns the base path and index of a segment file name.
func splitSegment(p string) (string, int) {
	p = filepath.Clean(p)
	ext := filepath.Ext(p)
	stem := strings.TrimSuffix(p, ext)
	if n := len(stem); n > 7 && stem[n-7] == '-' {
		if i, err := strconv.Atoi(stem[n-6:]); err == nil && i > 0 {
			return stem[:n-7] + ext, i
		}
	}
	return p, 0
}
