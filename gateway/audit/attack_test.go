package audit

// Attacks on `audit verify` (issue 11): tampering an operator must see,
// with every key given (MAC key and signing key), and the witness where
// the file alone cannot tell.

import (
	"os"
	"strings"
	"testing"
)

// TestAttackVerifyTamper: each change must end with a non-zero exit.
func TestAttackVerifyTamper(t *testing.T) {
	rotated := func(t *testing.T, l *testLog) []string {
		t.Helper()
		l.cfg.File.RotateBytes = 4096
		l.write(30, "close")
		segs, err := Segments(l.base)
		if err != nil || len(segs) < 3 {
			t.Fatalf("want 3+ segments, got %v (%v)", segs, err)
		}
		return segs
	}
	cases := []struct {
		name  string
		build func(t *testing.T, l *testLog) VerifyOptions
	}{
		{"middle segment deleted", func(t *testing.T, l *testLog) VerifyOptions {
			segs := rotated(t, l)
			if err := os.Remove(segs[1]); err != nil {
				t.Fatal(err)
			}
			return l.keyed()
		}},
		{"two segments swapped", func(t *testing.T, l *testLog) VerifyOptions {
			segs := rotated(t, l)
			a, b := mustRead(t, segs[0]), mustRead(t, segs[1])
			if err := os.WriteFile(segs[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(segs[1], a, 0o600); err != nil {
				t.Fatal(err)
			}
			return l.keyed()
		}},
		{"newest segment deleted, witness", func(t *testing.T, l *testLog) VerifyOptions {
			segs := rotated(t, l)
			if err := os.Remove(segs[len(segs)-1]); err != nil {
				t.Fatal(err)
			}
			o := l.keyed()
			o.Witness = l.wit.witness(t)
			return o
		}},
		{"a record line repeated", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "close")
			lines := readLines(t, l.base)
			i := lineOf(t, lines, 5)
			lines = append(lines[:i+1], lines[i:]...)
			writeLines(t, l.base, lines)
			return l.keyed()
		}},
		{"edited record hidden behind an appended torn line", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "crash")
			tailEdit(t, l.base, 15, denyToAllow)
			appendBytes(t, l.base, `{"type":"record","seq":16,"id":"`)
			return l.keyed()
		}},
		{"CRLF line ending on one record", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "close")
			lines := readLines(t, l.base)
			i := lineOf(t, lines, 6)
			lines[i] += "\r"
			writeLines(t, l.base, lines)
			return l.keyed()
		}},
		{"whole log replaced by an unsigned, unkeyed forgery (MAC key given)", func(t *testing.T, l *testLog) VerifyOptions {
			l.write(10, "close")
			forged := newTestLog(t) // another writer, no signing key, no MAC key
			forged.base, forged.cfg.File.Path = l.base, l.base
			if err := os.Remove(l.base); err != nil {
				t.Fatal(err)
			}
			r, err := New(forged.cfg, WithLogger(discard{}))
			if err != nil {
				t.Fatal(err)
			}
			f := callFields(1)
			f.Subject = "mallory-was-never-here"
			if _, err := r.Record(t.Context(), f); err != nil {
				t.Fatal(err)
			}
			_ = r.Close(t.Context())
			o := l.keyed()
			o.AllowUnsignedTail = true // an operator who also keeps pre-keying (legacy) files
			return o
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t)
			rep, code, out := l.verify(tc.build(t, l))
			if code == ExitIntact {
				t.Fatalf("verify exit 0 (%s, %q)\n%s", rep.Status, rep.Result, out)
			}
			if code == ExitTorn && strings.Contains(tc.name, "edited") {
				t.Fatalf("an edit reported only as a torn line (exit 3)\n%s", out)
			}
			t.Logf("exit %d %s\n%s", code, rep.Status, out)
		})
	}
}

// TestAttackVerifyOldestSegmentsDeleted: deleting the first segments of a
// rotated log (the start of its history) and verifying the files that are
// left, with every key and the witness, exits 0 "intact" with only a note
// ("chain checked from segment N; earlier files not given"). The witness
// is asked only for checkpoints after the file's last one, so it does not
// notice either. Only --min-records would. (`audit verify <base>` fails
// with an I/O error, exit 2, when the base file itself is gone; deleting
// segment 1.. while keeping the base renamed is the same cut.)
func TestAttackVerifyOldestSegmentsDeleted(t *testing.T) {
	l := newTestLog(t)
	l.cfg.File.RotateBytes = 4096
	l.write(30, "close")
	segs, err := Segments(l.base)
	if err != nil || len(segs) < 4 {
		t.Fatalf("want 4+ segments, got %v (%v)", segs, err)
	}
	for _, s := range segs[:3] {
		if err := os.Remove(s); err != nil {
			t.Fatal(err)
		}
	}
	o := l.keyed()
	o.Witness = l.wit.witness(t)
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyFiles(t.Context(), cfg, segs[3:]...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ExitCode() == ExitIntact {
		t.Fatalf("the first %d segments deleted: exit 0, %s %q, notes %q", 3, rep.Status, rep.Result, rep.Notes)
	}
}
