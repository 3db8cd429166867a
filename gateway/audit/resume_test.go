package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// The audit path must be a regular file: a device, FIFO or directory is
// refused at once (before it would be read whole, or block).
func TestOpenRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	segDir := filepath.Join(dir, "seg.jsonl")
	if err := os.WriteFile(segDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "seg-000001.jsonl"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{"/dev/zero", "/dev/zero is a character device"},
		{fifo, "is a named pipe"},
		{dir, "is a directory"},
		{segDir, "seg-000001.jsonl is a directory"},
	} {
		_, err := OpenFile(FileConfig{Path: tc.path})
		if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
	// A symbolic link to an audit log is fine.
	real := filepath.Join(dir, "real.jsonl")
	s, err := OpenFile(FileConfig{Path: real})
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s, err = OpenFile(FileConfig{Path: link})
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Resuming reads only the end of the active file: what start-up allocates
// does not grow with the file (16 MiB here, where reading it whole would
// allocate as much), measured with runtime.MemStats.
func TestResumeMemoryIndependentOfFileSize(t *testing.T) {
	l := newTestLog(t)
	big := FileConfig{Path: l.base, CheckpointEvery: 140} // the last one right after record 280
	s, err := OpenFile(big, WithSigningKey(l.priv), WithMACKey(testMACKey))
	if err != nil {
		t.Fatal(err)
	}
	f := callFields(0)
	f.KeepArguments = true
	f.Arguments = []byte(`{"blob":"` + strings.Repeat("x", 60<<10) + `"}`)
	rec := NewRecord(f, WithArgsCap(1<<20))
	for range 280 {
		if _, err := s.Append(rec, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 { // a small tail after the last checkpoint
		if _, err := s.Append(NewRecord(callFields(i)), false); err != nil {
			t.Fatal(err)
		}
	}
	s.f = &faultFile{File: s.f, fs: &faultFS{crashed: true}} // killed: Close writes nothing
	_ = s.Close()
	fi, err := os.Stat(l.base)
	if err != nil || fi.Size() < 16<<20 {
		t.Fatalf("file %v %v", fi.Size(), err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err = OpenFile(big, WithSigningKey(l.priv), WithMACKey(testMACKey))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _ = os.ReadFile(l.base)
	runtime.ReadMemStats(&after)
	t.Logf("file %d MiB: resume allocated %d KiB, reading it whole %d KiB", fi.Size()>>20, alloc>>10, (after.TotalAlloc-before.TotalAlloc)>>10)
	if alloc > 1<<20 {
		t.Fatalf("resume allocated %d KiB for a %d MiB file; want < 1 MiB", alloc>>10, fi.Size()>>20)
	}
	// It adopted the 3 records (verifying them) and signed them.
	lines := readLines(t, l.base)
	n := len(lines)
	if !strings.Contains(lines[n-3], `"kind":"recovery","time":`) || !strings.Contains(lines[n-3], `"crash_seq":283,"tail_records":3,`) ||
		!strings.HasPrefix(lines[n-2], `{"type":"checkpoint","count":284,`) {
		t.Fatalf("end of file:\n%s%s", lines[n-3], lines[n-2])
	}
}

// A keyed log is not continued without its MAC key, nor with another one.
func TestResumeKeyedLogNeedsItsKey(t *testing.T) {
	l := newTestLog(t)
	l.write(3, "close")
	other := []byte(strings.Repeat("z", 32))
	for _, tc := range []struct {
		key  []byte
		want error
	}{{nil, ErrMACKeyRequired}, {other, ErrMACKeyMismatch}} {
		_, err := OpenFile(l.cfg.File, WithSigningKey(l.priv), WithMACKey(tc.key))
		if !errors.Is(err, tc.want) {
			t.Errorf("key %q: %v, want %v", tc.key, err, tc.want)
		}
	}
	if _, err := OpenFile(l.cfg.File, WithMACKey([]byte("short"))); !errors.Is(err, ErrMACKeyTooShort) {
		t.Errorf("short key: %v", err)
	}
}

// A checkpoint that does not verify is not an anchor: the writer refuses.
func TestResumeRefusesForgedCheckpoint(t *testing.T) {
	l := newTestLog(t)
	l.write(10, "crash")
	lines := readLines(t, l.base)
	for i, s := range lines {
		if strings.HasPrefix(s, `{"type":"checkpoint","count":12,`) {
			lines[i] = strings.Replace(s, `"count":12,`, `"count":11,`, 1)
		}
	}
	writeLines(t, l.base, lines)
	if _, err := OpenFile(l.cfg.File, WithSigningKey(l.priv), WithMACKey(testMACKey)); !errors.Is(err, ErrTailRejected) {
		t.Fatalf("err = %v", err)
	}
}

// A log written before keying is continued in a new, keyed file; the tail
// a crash left in it could not be MAC-checked, and verify says so.
func TestResumeUpgradesLegacyLog(t *testing.T) {
	priv := legacyKey()
	pub := priv.Public().(ed25519.PublicKey)
	for _, tc := range []struct {
		dir    string
		status Status
	}{
		{"legacy-closed", StatusIntact},
		{"legacy-crashed", StatusUnverifiable},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "audit.jsonl")
			if err := os.WriteFile(base, mustRead(t, filepath.Join("testdata", tc.dir, "audit.jsonl")), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := DefaultConfig()
			cfg.File.Path = base
			r, err := New(cfg, WithFileOptions(WithSigningKey(priv), WithMACKey(testMACKey)), WithLogger(discard{}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Record(context.Background(), callFields(0)); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			segs, _ := Segments(base)
			rep, err := VerifyFiles(t.Context(), VerifyConfig{PublicKey: pub, MACKey: testMACKey}, segs...)
			if err != nil || len(segs) != 2 || rep.Keying != "mixed" || rep.Status != tc.status || len(rep.Findings) != 0 {
				t.Fatalf("%v %d files: %s %s %v", err, len(segs), rep.Keying, rep.Result, rep.Findings)
			}
			if !strings.Contains(string(mustRead(t, segs[1])), `"mac_key":"`+MACKeyID(testMACKey)+`"`) {
				t.Fatal("the new file is not keyed")
			}
		})
	}
}
