package audit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResumeAfterCrashLeavesTailAndMarksIt(t *testing.T) {
	priv, pub := newKey(t)
	dir := t.TempDir()
	cfg := smallConfig()
	cfg.Mode = ModeStrict
	base := writeLog(t, dir, 6, cfg, priv)
	// A SIGKILL mid-write leaves part of one line.
	partial := []byte(`{"type":"record","seq":13,"id":"abc","kind":"call","pha`)
	f, err := os.OpenFile(base, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(partial); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	before := mustRead(t, base)

	var out bytes.Buffer
	if code := RunVerify(&out, VerifyOptions{PublicKey: pub, MACKey: testMACKey}, []string{base}); code != ExitTorn {
		t.Fatalf("before restart: exit %d\n%s", code, out.String())
	}

	writeLog(t, dir, 3, cfg, priv) // restart, resume, write more
	if !bytes.Equal(mustRead(t, base), before) {
		t.Fatal("resume rewrote the crashed file")
	}
	segs, _ := Segments(base)
	if len(segs) != 2 {
		t.Fatalf("want a new segment, got %v", segs)
	}
	// The new segment starts with the recovery record (the crash came after
	// the checkpoint at 12: nothing to adopt), the truncation record, and a
	// checkpoint signing both.
	second := readLines(t, segs[1])
	if !strings.Contains(second[1], `"kind":"recovery","time":`) || !strings.Contains(second[1], `"crash_seq":12,`) {
		t.Fatalf("first record of new segment is not a recovery record: %s", second[1])
	}
	if !strings.Contains(second[2], `"kind":"truncation"`) || !strings.Contains(second[2], `"truncated_file":"audit.jsonl"`) {
		t.Fatalf("second record of new segment is not a truncation marker: %s", second[2])
	}
	if !strings.HasPrefix(second[3], `{"type":"checkpoint","count":14,`) {
		t.Fatalf("no checkpoint after recovery: %s", second[3])
	}
	rep, err := VerifyFiles(t.Context(), VerifyConfig{PublicKey: pub, MACKey: testMACKey}, segs...)
	if err != nil || !rep.Intact() || len(rep.Recovered) != 1 || rep.Records != 12+2+6 || rep.Status != StatusRecovered {
		t.Fatalf("%v %+v", err, rep)
	}
	out.Reset()
	if code := RunVerify(&out, VerifyOptions{PublicKey: pub, MACKey: testMACKey}, []string{base}); code != ExitIntact {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	// Tampering with the declared tail is still caught.
	writeLines(t, base, append(readLines(t, base), "x"))
	if rep, _ := Verify(pub, segs...); !rep.Has(Modified) {
		t.Fatalf("tail edit not detected: %+v", rep.First)
	}
}

func TestResumeContinuesSameFile(t *testing.T) {
	priv, pub := newKey(t)
	dir := t.TempDir()
	base := writeLog(t, dir, 3, smallConfig(), priv)
	writeLog(t, dir, 3, smallConfig(), priv)
	segs, _ := Segments(base)
	rep, err := Verify(pub, segs...)
	if len(segs) != 1 || err != nil || !rep.Intact() || rep.Records != 6 {
		t.Fatalf("%v %v %+v", segs, err, rep)
	}
}

func TestOpenCorruptFileRefuses(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "audit.jsonl")
	if err := os.WriteFile(base, []byte("not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.File.Path = base
	if _, err := New(cfg, WithLogger(discard{})); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingSegmentDetected(t *testing.T) {
	priv, pub := newKey(t)
	cfg := smallConfig()
	cfg.File.RotateBytes = 4096
	base := writeLog(t, t.TempDir(), 40, cfg, priv)
	segs, _ := Segments(base)
	rep, err := Verify(pub, append(segs[:1:1], segs[2:]...)...)
	if err != nil || !rep.Has(Deleted) {
		t.Fatalf("%v %+v", err, rep.First)
	}
	_ = context.Background
}

func TestSegmentNames(t *testing.T) {
	if got := segmentPath("/x/audit.jsonl", 3); got != "/x/audit-000003.jsonl" {
		t.Fatal(got)
	}
	if i := segmentIndex("/x/audit.jsonl", "/x/audit-000012.jsonl"); i != 12 {
		t.Fatal(i)
	}
	if b, i := splitSegment("/x/audit-000012.jsonl"); b != "/x/audit.jsonl" || i != 12 {
		t.Fatal(b, i)
	}
}
