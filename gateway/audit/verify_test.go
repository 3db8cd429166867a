package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.File.CheckpointEvery = 4
	c.File.CheckpointInterval = 0
	return c
}

// lineOf returns the index of the line holding record seq.
func lineOf(t *testing.T, lines []string, seq int) int {
	t.Helper()
	for i, l := range lines {
		if strings.Contains(l, `"type":"record","seq":`+itoa(seq)+`,`) {
			return i
		}
	}
	t.Fatalf("record %d not found", seq)
	return -1
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestVerifyIntactRotated(t *testing.T) {
	priv, pub := newKey(t)
	cfg := smallConfig()
	cfg.File.RotateBytes = 4096
	base := writeLog(t, t.TempDir(), 40, cfg, priv)
	segs, err := Segments(base)
	if err != nil || len(segs) < 3 {
		t.Fatalf("want >= 3 segments, got %v %v", segs, err)
	}
	// Given in shell-glob order (audit-000001 sorts before audit.jsonl).
	glob := append(segs[1:], segs[0])
	rep, err := Verify(pub, glob...)
	if err != nil || !rep.Intact() {
		t.Fatalf("intact chain failed: %v %+v", err, rep.First)
	}
	if rep.Records != 40 || rep.Signed != 40 || rep.Checkpoints < 10 {
		t.Fatalf("report %+v", rep)
	}
	var out bytes.Buffer
	if code := RunVerify(&out, VerifyOptions{PublicKey: pub}, []string{base}); code != ExitIntact {
		t.Fatalf("RunVerify = %d\n%s", code, out.String())
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	priv, pub := newKey(t)
	otherPriv, _ := newKey(t)
	cases := []struct {
		name   string
		tamper func(t *testing.T, lines []string) []string
		want   Problem
		code   int
	}{
		{"edit a field", func(t *testing.T, l []string) []string {
			i := lineOf(t, l, 5)
			l[i] = strings.Replace(l[i], `"subject":"alice"`, `"subject":"mallory"`, 1)
			return l
		}, Modified, ExitTampered},
		{"edit and rehash", func(t *testing.T, l []string) []string {
			i := lineOf(t, l, 5)
			var r Record
			if err := json.Unmarshal([]byte(l[i]), &r); err != nil {
				t.Fatal(err)
			}
			r.w.Subject = "mallory"
			r.w.Hash, _ = recordHash(r.w)
			b, _ := encodeLine(r.w)
			l[i] = string(b)
			return l
		}, BadMAC, ExitTampered},
		{"delete a line", func(t *testing.T, l []string) []string {
			i := lineOf(t, l, 6)
			return append(l[:i:i], l[i+1:]...)
		}, Deleted, ExitTampered},
		{"insert a forged record", func(t *testing.T, l []string) []string {
			i := lineOf(t, l, 6)
			var prev Record
			if err := json.Unmarshal([]byte(l[i-1]), &prev); err != nil {
				t.Fatal(err)
			}
			forged, err := prev.head().seal(NewRecord(Fields{Tool: "evil", Decision: Allow}), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := encodeLine(forged.w)
			return append(l[:i:i], append([]string{string(b)}, l[i:]...)...)
		}, Inserted, ExitTampered},
		{"insert a duplicate", func(t *testing.T, l []string) []string {
			i := lineOf(t, l, 6)
			return append(l[:i+1:i+1], append([]string{l[lineOf(t, l, 2)]}, l[i+1:]...)...)
		}, Inserted, ExitTampered},
		{"swap two", func(t *testing.T, l []string) []string {
			i, j := lineOf(t, l, 6), lineOf(t, l, 7)
			l[i], l[j] = l[j], l[i]
			return l
		}, Reordered, ExitTampered},
		{"truncate", func(t *testing.T, l []string) []string {
			last := len(l) - 2 // l[len-1] is "" after the final newline
			l[last] = l[last][:len(l[last])/2]
			return l[:last+1]
		}, Torn, ExitTorn},
		{"forge checkpoint count", func(t *testing.T, l []string) []string {
			for i, s := range l {
				if strings.HasPrefix(s, `{"type":"checkpoint","count":8,`) {
					l[i] = strings.Replace(s, `"count":8,`, `"count":7,`, 1)
					return l
				}
			}
			t.Fatal("no checkpoint 8")
			return nil
		}, BadSignature, ExitTampered},
		{"checkpoint signed by another key", func(t *testing.T, l []string) []string {
			for i, s := range l {
				var c wireCheckpoint
				if json.Unmarshal([]byte(s), &c) == nil && c.Type == lineCheckpoint && c.Count == 8 {
					f, err := newCheckpoint(otherPriv, c, time.Now())
					if err != nil {
						t.Fatal(err)
					}
					b, _ := encodeLine(f)
					l[i] = string(b)
					return l
				}
			}
			t.Fatal("no checkpoint 8")
			return nil
		}, BadSignature, ExitTampered},
		{"delete a checkpoint", func(t *testing.T, l []string) []string {
			for i, s := range l {
				if strings.HasPrefix(s, `{"type":"checkpoint","count":4,`) {
					return append(l[:i:i], l[i+1:]...)
				}
			}
			return nil
		}, Deleted, ExitTampered},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := writeLog(t, t.TempDir(), 12, smallConfig(), priv)
			writeLines(t, base, tc.tamper(t, readLines(t, base)))
			rep, err := VerifyFiles(t.Context(), VerifyConfig{PublicKey: pub, MACKey: testMACKey}, base)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Has(tc.want) {
				t.Fatalf("want %s, got %+v", tc.want, rep.Findings)
			}
			var out bytes.Buffer
			if code := RunVerify(&out, VerifyOptions{PublicKey: pub, MACKey: testMACKey}, []string{base}); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out.String())
			}
			t.Logf("%s", rep.First)
		})
	}
}

func TestVerifyNeedsKeyForCheckpoints(t *testing.T) {
	priv, _ := newKey(t)
	base := writeLog(t, t.TempDir(), 5, smallConfig(), priv)
	if _, err := Verify(nil, base); err != ErrPublicKeyRequired {
		t.Fatalf("err = %v", err)
	}
	var out bytes.Buffer
	if code := RunVerify(&out, VerifyOptions{}, []string{base}); code != ExitError {
		t.Fatalf("exit %d", code)
	}
}

func TestVerifyWrongTrustedKey(t *testing.T) {
	priv, _ := newKey(t)
	_, otherPub := newKey(t)
	base := writeLog(t, t.TempDir(), 5, smallConfig(), priv)
	rep, err := Verify(otherPub, base)
	if err != nil || !rep.Has(BadSignature) {
		t.Fatalf("%v %+v", err, rep.First)
	}
}

func TestCheckpointInterval(t *testing.T) {
	priv, pub := newKey(t)
	cfg := DefaultConfig()
	cfg.File.Path = t.TempDir() + "/audit.jsonl"
	cfg.File.CheckpointEvery = 0
	cfg.File.CheckpointInterval = 10 * time.Millisecond
	r, err := New(cfg, WithFileOptions(WithSigningKey(priv)), WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Record(ctx, callFields(1)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !bytes.Contains(mustRead(t, cfg.File.Path), []byte(`"type":"checkpoint"`)) {
		if time.Now().After(deadline) {
			t.Fatal("no timed checkpoint")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(pub, cfg.File.Path)
	if err != nil || !rep.Intact() || rep.Signed != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
}
