package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// EnvMACKey names the MAC key file when --mac-key is not given (the same
// variable `tracegate serve` reads).
const EnvMACKey = "TRACEGATE_AUDIT_MAC_KEY"

// VerifyOptions are the flags of `tracegate audit verify`.
type VerifyOptions struct {
	// PublicKeyFile is the trusted PEM Ed25519 public key.
	PublicKeyFile string
	// PublicKey is used when PublicKeyFile is empty.
	PublicKey ed25519.PublicKey
	// MACKeyFile is the chain's MAC key file ([LoadMACKey]).
	MACKeyFile string
	// MACKey is used when MACKeyFile is empty.
	MACKey []byte
	// ExpectHead, MinRecords and AllowUnsignedTail: see [VerifyConfig].
	ExpectHead        string
	MinRecords        uint64
	AllowUnsignedTail bool
	// WitnessURL is the Jaeger query URL given with --witness; the caller
	// turns it into Witness (the search package has the Jaeger client).
	WitnessURL     string
	WitnessService string
	WitnessSince   time.Duration
	Witness        Witness
	// JSON prints the [Report] as JSON.
	JSON bool
}

// RegisterFlags adds the verify flags to fs.
func (o *VerifyOptions) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.PublicKeyFile, "key", o.PublicKeyFile, "trusted Ed25519 public key (PEM) for checkpoint signatures")
	mac := o.MACKeyFile
	if mac == "" {
		mac = os.Getenv(EnvMACKey)
	}
	fs.StringVar(&o.MACKeyFile, "mac-key", mac, "the chain's MAC key file; verifies records after the last checkpoint (env "+EnvMACKey+")")
	fs.StringVar(&o.ExpectHead, "expect-head", o.ExpectHead, "a record hash the chain must contain (a head noted earlier; >= 16 hex characters)")
	fs.Uint64Var(&o.MinRecords, "min-records", o.MinRecords, "the least number of records the chain must hold")
	fs.BoolVar(&o.AllowUnsignedTail, "allow-unsigned-tail", o.AllowUnsignedTail, "exit 0, not 4, when records are neither signed nor MAC-verified")
	fs.StringVar(&o.WitnessURL, "witness", o.WitnessURL, "Jaeger query URL: report 'truncated' when it holds a later checkpoint of this log")
	service := o.WitnessService
	if service == "" {
		service = "tracegate"
	}
	fs.StringVar(&o.WitnessService, "witness-service", service, "service name the gateway's checkpoint spans carry in the witness")
	since := o.WitnessSince
	if since == 0 {
		since = 30 * 24 * time.Hour
	}
	fs.DurationVar(&o.WitnessSince, "witness-since", since, "how far back the witness is searched")
	fs.BoolVar(&o.JSON, "json", o.JSON, "print the report as JSON")
}

// config loads the keys named by o.
func (o VerifyOptions) config() (VerifyConfig, error) {
	c := VerifyConfig{PublicKey: o.PublicKey, MACKey: o.MACKey, ExpectHead: o.ExpectHead,
		MinRecords: o.MinRecords, Witness: o.Witness, AllowUnsignedTail: o.AllowUnsignedTail}
	if o.PublicKeyFile != "" {
		k, err := LoadPublicKey(o.PublicKeyFile)
		if err != nil {
			return c, err
		}
		c.PublicKey = k
	}
	if o.MACKeyFile != "" {
		k, err := LoadMACKey(o.MACKeyFile)
		if err != nil {
			return c, err
		}
		c.MACKey = k
	}
	if o.WitnessURL != "" && o.Witness == nil {
		return c, fmt.Errorf("audit: --witness %s: no witness client", o.WitnessURL)
	}
	return c, nil
}

// RunVerify verifies paths (a single base path is expanded to all its
// rotated segments), prints the report to w and returns the exit code
// (see [Report.ExitCode]; [ExitError] for unusable input).
func RunVerify(w io.Writer, o VerifyOptions, paths []string) int {
	return RunVerifyContext(context.Background(), w, o, paths)
}

// RunVerifyContext is [RunVerify] with a context for the witness query.
func RunVerifyContext(ctx context.Context, w io.Writer, o VerifyOptions, paths []string) int {
	cfg, err := o.config()
	if err != nil {
		fmt.Fprintf(w, "audit verify: %v\n", err)
		return ExitError
	}
	if len(paths) == 1 {
		if segs, err := Segments(paths[0]); err == nil && len(segs) > 1 && segs[0] == paths[0] {
			paths = segs
		}
	}
	rep, err := VerifyFiles(ctx, cfg, paths...)
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
	return rep.ExitCode()
}

func printReport(w io.Writer, rep Report) {
	fmt.Fprintf(w, "files:       %d\n", len(rep.Files))
	if rep.Log != "" {
		fmt.Fprintf(w, "log:         %s\n", rep.Log)
	}
	keying := rep.Keying
	if rep.MACKey != "" {
		keying += " (MAC key " + rep.MACKey + ")"
	}
	fmt.Fprintf(w, "keying:      %s\nrecords:     %d\ncheckpoints: %d (signed through record %d)\ntail:        %d record(s) after the last checkpoint, %d MAC-verified\nhead:        %s\n",
		keying, rep.Records, rep.Checkpoints, rep.Signed, rep.Tail, rep.TailVerified, rep.Head)
	for _, rc := range rep.Recoveries {
		mac := "MAC-verified"
		if !rc.MACVerified {
			mac = "not MAC-verified"
		}
		fmt.Fprintf(w, "recovery:    seq %d: crash at record %d, adopted %d record(s) after the last checkpoint (%s)\n", rc.Seq, rc.CrashSeq, rc.TailRecords, mac)
	}
	for _, f := range rep.Recovered {
		fmt.Fprintf(w, "recovered:   %s\n", f)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note:        %s\n", n)
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "problem:     %s\n", f)
	}
	verdict := "OK"
	if rep.ExitCode() != ExitIntact {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "result:      %s, %s (exit %d)\n", verdict, rep.Result, rep.ExitCode())
}
