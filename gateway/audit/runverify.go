package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

// Exit codes of [RunVerify].
const (
	ExitIntact    = 0 // chain and signatures intact
	ExitTampered  = 1 // modified, deleted, inserted, reordered or bad signature
	ExitError     = 2 // usage or I/O error
	ExitTruncated = 3 // only an unaccounted incomplete last line (crash)
)

// VerifyOptions are the flags of `tracegate audit verify`.
type VerifyOptions struct {
	// PublicKeyFile is the trusted PEM Ed25519 public key.
	PublicKeyFile string
	// PublicKey is used when PublicKeyFile is empty.
	PublicKey ed25519.PublicKey
	// JSON prints the [Report] as JSON.
	JSON bool
}

// RegisterFlags adds -key and -json to fs.
func (o *VerifyOptions) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.PublicKeyFile, "key", o.PublicKeyFile, "trusted Ed25519 public key (PEM) for checkpoint signatures")
	fs.BoolVar(&o.JSON, "json", o.JSON, "print the report as JSON")
}

// RunVerify verifies paths (a single base path is expanded to all its
// rotated segments), prints the report to w and returns the exit code.
func RunVerify(w io.Writer, o VerifyOptions, paths []string) int {
	pub := o.PublicKey
	if o.PublicKeyFile != "" {
		k, err := LoadPublicKey(o.PublicKeyFile)
		if err != nil {
			fmt.Fprintf(w, "audit verify: %v\n", err)
			return ExitError
		}
		pub = k
	}
	if len(paths) == 1 {
		if segs, err := Segments(paths[0]); err == nil && len(segs) > 1 && segs[0] == paths[0] {
			paths = segs
		}
	}
	rep, err := Verify(pub, paths...)
	if err != nil {
		fmt.Fprintf(w, "audit verify: %v\n", err)
		return ExitError
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		printReport(w, rep)
	}
	switch {
	case rep.Intact():
		return ExitIntact
	case rep.First.Kind == Truncated:
		return ExitTruncated
	default:
		return ExitTampered
	}
}

func printReport(w io.Writer, rep Report) {
	fmt.Fprintf(w, "files:       %d\nrecords:     %d\ncheckpoints: %d (signed through record %d)\nhead:        %s\n",
		len(rep.Files), rep.Records, rep.Checkpoints, rep.Signed, rep.Head)
	for _, f := range rep.Recovered {
		fmt.Fprintf(w, "recovered:   %s\n", f)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note:        %s\n", n)
	}
	if rep.First == nil {
		fmt.Fprintln(w, "result:      OK, intact")
		return
	}
	fmt.Fprintf(w, "result:      FAIL %s\n", rep.First)
}
