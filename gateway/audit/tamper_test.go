package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// keyed is what an operator holding every key gives verify.
func (l *testLog) keyed() VerifyOptions {
	return VerifyOptions{PublicKey: l.pub, MACKey: testMACKey}
}

// tailEdit rewrites record seq in file like an attacker without the MAC
// key: change it, recompute its public hash and re-link (and re-hash) every
// record after it, leaving the MACs as they were.
func tailEdit(t *testing.T, file string, seq int, change func(*wireRecord)) {
	t.Helper()
	lines := readLines(t, file)
	prev := ""
	for i := lineOf(t, lines, seq); i < len(lines); i++ {
		var w wireRecord
		if json.Unmarshal([]byte(lines[i]), &w) != nil || w.Type != lineRecord {
			continue
		}
		if prev == "" {
			change(&w)
		} else {
			w.PrevHash = prev
		}
		w.Hash, _ = recordHash(w)
		b, _ := encodeLine(w)
		lines[i], prev = string(b), w.Hash
	}
	writeLines(t, file, lines)
}

// cutBefore truncates file at the start of its first line with prefix
// (a record boundary).
func cutBefore(t *testing.T, file, prefix string) {
	t.Helper()
	lines := readLines(t, file)
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			writeLines(t, file, lines[:i])
			return
		}
	}
	t.Fatalf("no line starting %q", prefix)
}

func denyToAllow(w *wireRecord) {
	if w.Decision != Deny {
		panic("not a denial")
	}
	w.Decision, w.Reason = Allow, "granted"
}

// The tamper table of issue 11: each change is detected, with the key, pin
// or witness that makes it detectable, under its named result and a
// non-zero exit; the untouched logs pass. 10 calls in strict mode are 15
// records (allowed calls: intent and outcome; odd calls denied), signed at
// 4, 8, 12 and, on a clean stop, 15.
func TestVerifyTamperTable(t *testing.T) {
	cases := []struct {
		name   string
		build  func(t *testing.T, l *testLog) VerifyOptions
		status Status
		kinds  []Problem
		result string
	}{
		{"untouched, closed", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "close")
			o := l.keyed()
			o.Witness = l.wit.witness(t)
			return o
		}, StatusIntact, nil, "intact"},
		{"untouched, killed: MAC-verified tail", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			return l.keyed()
		}, StatusIntactTail, nil, "intact, 3 records after the last checkpoint (MAC-verified)"},
		{"killed, verified without the MAC key", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			return VerifyOptions{PublicKey: l.pub}
		}, StatusUnverifiable, nil, "tail not verifiable: 3 record(s) are neither signed nor MAC-verified (no MAC key given)"},
		{"killed, without the MAC key, --allow-unsigned-tail", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			return VerifyOptions{PublicKey: l.pub, AllowUnsignedTail: true}
		}, StatusIntact, nil, "intact"},
		{"truncate at a record boundary after the checkpoint, pinned head", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			rep, _, _ := l.verify(l.keyed())
			cutBefore(t, l.base, `{"type":"record","seq":14,`)
			o := l.keyed()
			o.ExpectHead = rep.Head[:16]
			return o
		}, StatusTruncated, []Problem{Truncated}, "truncated"},
		{"truncate at a record boundary after the checkpoint, --min-records", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			cutBefore(t, l.base, `{"type":"record","seq":14,`)
			o := l.keyed()
			o.MinRecords = 15
			return o
		}, StatusTruncated, []Problem{Truncated}, "truncated"},
		{"truncate at a record boundary before a checkpoint, witness", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "close")
			cutBefore(t, l.base, `{"type":"checkpoint","count":12,`)
			o := l.keyed()
			o.Witness = l.wit.witness(t)
			return o
		}, StatusTruncated, []Problem{Truncated}, "truncated"},
		{"rewrite an unsigned record without the MAC key", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			tailEdit(t, l.base, 15, denyToAllow)
			return l.keyed()
		}, StatusTampered, []Problem{BadMAC}, "tampered"},
		{"rewrite a signed record and its successors", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "close")
			tailEdit(t, l.base, 3, denyToAllow)
			return l.keyed()
		}, StatusTampered, []Problem{BadMAC, Modified}, "tampered"},
		{"strip the MACs of the tail", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			tailEdit(t, l.base, 13, func(w *wireRecord) { w.MAC = "" })
			return l.keyed()
		}, StatusTampered, []Problem{BadMAC}, "tampered"},
		{"kill -9, edit, restart (refused), stop", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash-torn")
			tailEdit(t, l.base, 15, denyToAllow)
			if r, err := l.open(); !errors.Is(err, ErrTailRejected) || !errors.Is(err, ErrCorruptLog) {
				if r != nil {
					_ = r.Close(t.Context())
				}
				t.Fatalf("restart after the edit: %v, want ErrTailRejected", err)
			}
			return l.keyed()
		}, StatusTampered, []Problem{BadMAC, Torn}, "tampered"},
		{"kill -9, restart, stop (honest crash)", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash-torn")
			l.write(2, "close")
			return l.keyed()
		}, StatusRecovered, nil, "recovered after a crash at record 15"},
		{"kill -9, not restarted", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash-torn")
			return l.keyed()
		}, StatusTorn, []Problem{Torn}, "torn last line"},
		{"torn line at the end of segment 1 plus an edit in segment 2", func(t *testing.T, l *testLog) VerifyOptions {
			l.cfg.File.RotateBytes = 4096
			l.write(14, "close")
			segs, _ := Segments(l.base)
			if len(segs) < 2 {
				t.Fatalf("want 2+ segments, got %v", segs)
			}
			appendBytes(t, segs[0], `{"type":"record","seq":99,"id":"`)
			lines := readLines(t, segs[1])
			lines[2] = strings.Replace(lines[2], `"subject":"alice"`, `"subject":"mallory"`, 1)
			writeLines(t, segs[1], lines)
			return l.keyed()
		}, StatusTampered, []Problem{Torn, Modified}, "tampered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t)
			rep, code, out := l.verify(tc.build(t, l))
			var kinds []Problem
			for _, f := range rep.Findings {
				if !slices.Contains(kinds, f.Kind) {
					kinds = append(kinds, f.Kind)
				}
			}
			slices.Sort(kinds)
			slices.Sort(tc.kinds)
			if rep.Status != tc.status || !slices.Equal(kinds, tc.kinds) || !strings.HasPrefix(rep.Result, tc.result) {
				t.Fatalf("status %s, findings %v, result %q; want %s, %v, %q\n%s", rep.Status, kinds, rep.Result, tc.status, tc.kinds, tc.result, out)
			}
			want := map[Status]int{StatusIntact: 0, StatusIntactTail: 0, StatusRecovered: 0, StatusTampered: 1,
				StatusTruncated: 1, StatusTorn: 3, StatusUnverifiable: 4}[tc.status]
			if code != want {
				t.Fatalf("exit %d, want %d\n%s", code, want, out)
			}
			t.Logf("%s\n%s", tc.name, out)
		})
	}
}

func appendBytes(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// What the file alone cannot show: a cut at a record boundary verifies
// unless a pin or a witness says more (the reason the table uses them).
func TestVerifyCutIsInvisibleWithoutPinOrWitness(t *testing.T) {
	for _, name := range []string{"after the checkpoint", "before a checkpoint"} {
		t.Run(name, func(t *testing.T) {
			l := newTestLog(t)
			if name == "after the checkpoint" {
				l.write(10, "crash")
				cutBefore(t, l.base, `{"type":"record","seq":14,`)
			} else {
				l.write(10, "close")
				cutBefore(t, l.base, `{"type":"checkpoint","count":12,`)
			}
			rep, code, out := l.verify(l.keyed())
			if code != ExitIntact || rep.Status != StatusIntactTail {
				t.Fatalf("exit %d %s\n%s", code, rep.Status, out)
			}
			// A witness does not help for unsigned records: it knows only
			// checkpoints.
			o := l.keyed()
			o.Witness = l.wit.witness(t)
			if rep, code, out = l.verify(o); (code == ExitIntact) != (name == "after the checkpoint") {
				t.Fatalf("with witness: exit %d %s\n%s", code, rep.Status, out)
			}
		})
	}
}

// legacyKey is the key testdata/legacy-* were signed with (see
// testdata/README.md).
func legacyKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("tracegate legacy audit fixture"))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Files written before the chain was keyed still verify, as unkeyed.
func TestVerifyLegacyFiles(t *testing.T) {
	pub := legacyKey().Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		dir    string
		allow  bool
		status Status
		result string
	}{
		{"legacy-closed", false, StatusIntact, "intact (unkeyed)"},
		{"legacy-crashed", false, StatusUnverifiable, "tail not verifiable: 2 record(s) are neither signed nor MAC-verified (the log is unkeyed)"},
		{"legacy-crashed", true, StatusIntact, "intact (unkeyed)"},
	} {
		mac := testMACKey
		if tc.allow {
			// --allow-unsigned-tail vouches for an unkeyed tail only without a
			// MAC key: given one, an unkeyed tail may be a replaced log.
			mac = nil
		}
		rep, err := VerifyFiles(t.Context(), VerifyConfig{PublicKey: pub, MACKey: mac, AllowUnsignedTail: tc.allow},
			filepath.Join("testdata", tc.dir, "audit.jsonl"))
		if err != nil || rep.Status != tc.status || rep.Result != tc.result || rep.Keying != "unkeyed" {
			t.Fatalf("%s: %v %s %q %s", tc.dir, err, rep.Status, rep.Result, rep.Keying)
		}
	}
}

// The result names the log's keying once: a tail that is not verifiable
// because the log is unkeyed (or mixed) says so in its reason, and the
// "(unkeyed)" suffix the other results carry is not added again.
func TestResultNamesKeyingOnce(t *testing.T) {
	t.Run("verify output", func(t *testing.T) {
		pub := legacyKey().Public().(ed25519.PublicKey)
		var out strings.Builder
		code := RunVerify(&out, VerifyOptions{PublicKey: pub}, []string{filepath.Join("testdata", "legacy-crashed", "audit.jsonl")})
		var result string
		for line := range strings.Lines(out.String()) {
			if strings.HasPrefix(line, "result:") {
				result = line
			}
		}
		if code != ExitUnverifiable || !strings.Contains(result, "tail not verifiable") || strings.Count(result, "unkeyed") != 1 {
			t.Errorf("exit %d, want %d, and a result naming unkeyed once:\n%s", code, ExitUnverifiable, out.String())
		}
	})
	for _, tc := range []struct {
		rep  Report
		want string
	}{
		{Report{Keying: "unkeyed", Unverified: 2}, "tail not verifiable: 2 record(s) are neither signed nor MAC-verified (the log is unkeyed)"},
		{Report{Keying: "mixed", Unverified: 1}, "tail not verifiable: 1 record(s) are neither signed nor MAC-verified (the log is mixed)"},
		{Report{Keying: "keyed", Unverified: 3}, "tail not verifiable: 3 record(s) are neither signed nor MAC-verified (no MAC key given)"},
		{Report{Keying: "unkeyed"}, "intact (unkeyed)"},
		{Report{Keying: "mixed", Tail: 2, TailVerified: 2}, "intact, 2 records after the last checkpoint (MAC-verified) (mixed)"},
	} {
		tc.rep.classify(false)
		if tc.rep.Result != tc.want {
			t.Errorf("keying %s: result %q, want %q", tc.rep.Keying, tc.rep.Result, tc.want)
		}
	}
}
