package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerifyDetectsAnyEdit: no single-byte change (replace, insert,
// delete) anywhere in a closed, keyed, signed log verifies as OK.
func FuzzVerifyDetectsAnyEdit(f *testing.F) {
	l := newTestLog(f)
	l.write(4, "close")
	orig := mustRead(f, l.base)
	for _, pos := range []uint{0, 5, 40, 120, 300, 700, 1500, uint(len(orig) - 1)} {
		for op := range uint8(3) {
			f.Add(pos, byte('1'), op)
		}
	}
	f.Add(uint(len(orig)-2), byte('"'), uint8(0))
	f.Fuzz(func(t *testing.T, pos uint, b byte, op uint8) {
		data := mutate(orig, int(pos%uint(len(orig))), b, op%3)
		if bytes.Equal(data, orig) {
			return
		}
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyFiles(t.Context(), VerifyConfig{PublicKey: l.pub, MACKey: testMACKey}, path)
		if err == nil && rep.ExitCode() == ExitIntact {
			t.Fatalf("edit at %d (op %d, byte %q) verifies: %s", pos%uint(len(orig)), op%3, b, rep.Result)
		}
	})
}

func mutate(orig []byte, at int, b byte, op uint8) []byte {
	out := bytes.Clone(orig)
	switch op {
	case 0:
		out[at] = b
	case 1:
		out = append(out[:at], append([]byte{b}, orig[at:]...)...)
	default:
		out = append(out[:at], orig[at+1:]...)
	}
	return out
}
