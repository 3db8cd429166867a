package audit

import (
	"bytes"
	"context"
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

// Errors of [VerifyFiles] for input it cannot judge (not for tampering).
var (
	// ErrPublicKeyRequired: the files contain checkpoints but no trusted
	// public key was given.
	ErrPublicKeyRequired = errors.New("audit: a trusted public key is needed to verify checkpoints")
	ErrNoFiles           = errors.New("audit: no audit files to verify")
)

// Problem is the kind of a verification finding.
type Problem string

// Verification findings. Torn is a crash artifact, not tampering; every
// other kind is.
const (
	Modified     Problem = "modified"
	Deleted      Problem = "deleted"
	Inserted     Problem = "inserted"
	Reordered    Problem = "reordered"
	BadSignature Problem = "bad_signature"
	// BadMAC: a record's MAC does not verify under the given MAC key, is
	// missing in a keyed file, or the file is keyed with another key.
	BadMAC Problem = "bad_mac"
	// Truncated: records at the end were cut off. The file alone cannot
	// show it; a witness, --expect-head or --min-records can.
	Truncated Problem = "truncated"
	// Torn: an incomplete last line no truncation record declares (the
	// writer stopped mid-write and has not restarted since).
	Torn Problem = "torn"
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

// Recovery is a recovery record: after a crash, a restarted writer adopted
// the records after the last checkpoint (checking their MACs when keyed)
// and signed them.
type Recovery struct {
	Seq         uint64 `json:"seq"`          // the recovery record's own seq
	CrashSeq    uint64 `json:"crash_seq"`    // the last record written before the crash
	TailRecords uint64 `json:"tail_records"` // records it adopted after the last checkpoint
	TailHead    string `json:"tail_head"`
	MACVerified bool   `json:"mac_verified"`
}

// VerifyConfig is what [VerifyFiles] checks the files against.
type VerifyConfig struct {
	// PublicKey verifies checkpoint signatures (required if there are any).
	PublicKey ed25519.PublicKey
	// MACKey verifies record MACs of keyed files; without it records after
	// the last checkpoint are not verifiable.
	MACKey []byte
	// ExpectHead is a record hash the chain must contain (a pin noted
	// earlier; at least 16 hex characters, a prefix matches).
	ExpectHead string
	// MinRecords is the least number of records the chain must hold.
	MinRecords uint64
	// Witness, when set, is asked whether it knows a later checkpoint.
	Witness Witness
	// AllowUnsignedTail accepts records nothing vouches for (exit 0, not 4).
	AllowUnsignedTail bool
	// Archived says the log's first segments were archived on purpose: the
	// chain is checked from the first file given. Without it a log that
	// does not start at its first record is reported truncated (records cut
	// off at its start).
	Archived bool
}

// Verify checks files with a trusted public key only; see [VerifyFiles].
func Verify(pub ed25519.PublicKey, paths ...string) (Report, error) {
	return VerifyFiles(context.Background(), VerifyConfig{PublicKey: pub}, paths...)
}

// VerifyFiles checks the chain across the given files (ordered by segment
// index when their names follow the rotation scheme): each record's
// canonical form, hash, link and MAC, every checkpoint's signature and link,
// the segment lines between files, recovery and truncation records, then
// the pins and the witness. It reports every problem it finds (Findings)
// and classifies the result (Status, Result, [Report.ExitCode]). The error
// is for input it cannot judge: unreadable files, no public key for
// signed files, a witness that cannot be asked.
func VerifyFiles(ctx context.Context, cfg VerifyConfig, paths ...string) (Report, error) {
	if len(paths) == 0 {
		return Report{}, ErrNoFiles
	}
	mac, err := newMACKey(cfg.MACKey)
	if err != nil {
		return Report{}, err
	}
	if p := cfg.ExpectHead; p != "" && len(p) < 16 {
		return Report{}, fmt.Errorf("audit: --expect-head %q: give at least 16 hex characters of the head hash", p)
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
	if cfg.PublicKey == nil && slices.ContainsFunc(ents, func(e entry) bool { return e.typ == lineCheckpoint }) {
		return rep, ErrPublicKeyRequired
	}
	w := newWalker(cfg, mac, ents, &rep)
	w.run()
	w.finish()
	if cfg.Witness != nil {
		if err := consultWitness(ctx, cfg.Witness, cfg.PublicKey, w.log, w.cp, &rep); err != nil {
			return rep, err
		}
	}
	// --allow-unsigned-tail covers legacy (unkeyed) logs verified without a
	// MAC key; given the key, an unkeyed unsigned tail stays unverifiable.
	rep.classify(cfg.AllowUnsignedTail && !w.unkeyedWithKey)
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
	if err := checkRegular(path); err != nil {
		return nil, err
	}
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
