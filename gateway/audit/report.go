package audit

import (
	"fmt"
	"strings"
)

// Status classifies a verification; each has its exit code (see
// [Report.ExitCode] and the package documentation's table).
type Status string

// Verification results, from best to worst.
const (
	// StatusIntact: every record is covered by a valid signature (or, for
	// an unsigned log, by verified MACs) and no problem was found.
	StatusIntact Status = "intact"
	// StatusIntactTail: intact, with records after the last checkpoint
	// whose MACs verify under the given MAC key.
	StatusIntactTail Status = "intact_mac_verified_tail"
	// StatusRecovered: intact, and the writer crashed at least once; each
	// recovery record names the tail it adopted.
	StatusRecovered Status = "recovered"
	// StatusTorn: intact but for an incomplete last line (a crash the
	// writer has not restarted from).
	StatusTorn Status = "torn"
	// StatusUnverifiable: no problem found, but some records after the last
	// checkpoint (or adopted after a crash) are neither signed nor
	// MAC-verified: no MAC key was given, or the file is unkeyed.
	StatusUnverifiable Status = "tail_not_verifiable"
	// StatusTruncated: records were cut off (a witness, pin or minimum
	// knows more than the file holds).
	StatusTruncated Status = "truncated"
	// StatusTampered: records or checkpoints were changed, removed,
	// inserted or reordered.
	StatusTampered Status = "tampered"
)

// Exit codes of `tracegate audit verify` ([RunVerify]).
const (
	ExitIntact       = 0 // intact, a MAC-verified tail, or recovered after a crash
	ExitTampered     = 1 // tampered or truncated
	ExitError        = 2 // usage or I/O error, or a witness that cannot be asked
	ExitTorn         = 3 // only an undeclared incomplete last line (crash)
	ExitUnverifiable = 4 // records nothing vouches for (no MAC key, or unkeyed), without --allow-unsigned-tail
	// ExitTruncated is the old name of ExitTorn.
	//
	// Deprecated: a torn line is [ExitTorn]; cut-off records ([Truncated])
	// exit with [ExitTampered].
	ExitTruncated = ExitTorn
)

// Report is the result of [VerifyFiles].
type Report struct {
	Files       []string `json:"files"`
	Log         string   `json:"log,omitempty"`     // the log id of the last file
	Keying      string   `json:"keying"`            // keyed, unkeyed, or mixed (older files unkeyed)
	MACKey      string   `json:"mac_key,omitempty"` // MAC key id of the last file
	Records     uint64   `json:"records"`
	Head        string   `json:"head"`
	Checkpoints int      `json:"checkpoints"`
	Signed      uint64   `json:"signed"` // records covered by the last valid checkpoint
	// LastCheckpoint is the hash of the last checkpoint line.
	LastCheckpoint string `json:"last_checkpoint,omitempty"`
	// Tail counts the records after the last valid checkpoint, TailVerified
	// those of them whose MAC verified under the given key.
	Tail         uint64 `json:"tail"`
	TailVerified uint64 `json:"tail_mac_verified"`
	// Unverified counts records nothing vouches for: tail records without a
	// verified MAC, and records a recovery adopted without one.
	Unverified uint64     `json:"unverified"`
	Recoveries []Recovery `json:"recoveries,omitempty"`
	Recovered  []Finding  `json:"recovered,omitempty"` // torn bytes declared by truncation records
	Witnessed  int        `json:"witnessed_later,omitempty"`
	Notes      []string   `json:"notes,omitempty"`
	// Findings lists every problem found, in file order; First is the first.
	Findings []Finding `json:"findings,omitempty"`
	First    *Finding  `json:"first,omitempty"`
	Status   Status    `json:"status"`
	Result   string    `json:"result"`
}

// Intact reports whether no problem was found (the tail may still be
// unverifiable: see Status).
func (r Report) Intact() bool { return len(r.Findings) == 0 }

// Has reports whether a finding of kind k was made.
func (r Report) Has(k Problem) bool {
	for _, f := range r.Findings {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// ExitCode is the exit status for r's Status.
func (r Report) ExitCode() int {
	switch r.Status {
	case StatusTampered, StatusTruncated:
		return ExitTampered
	case StatusUnverifiable:
		return ExitUnverifiable
	case StatusTorn:
		return ExitTorn
	}
	return ExitIntact
}

// classify sets First, Status and Result from the findings and counts.
func (r *Report) classify(allowUnsigned bool) {
	if len(r.Findings) > 0 {
		r.First = &r.Findings[0]
	}
	tampered := 0
	for _, f := range r.Findings {
		if f.Kind != Torn && f.Kind != Truncated {
			tampered++
		}
	}
	switch {
	case tampered > 0:
		r.Status, r.Result = StatusTampered, fmt.Sprintf("tampered: %d problem(s)", tampered)
	case r.Has(Truncated):
		r.Status, r.Result = StatusTruncated, "truncated: records were cut off"
	case r.Unverified > 0 && !allowUnsigned:
		r.Status, r.Result = StatusUnverifiable, fmt.Sprintf("tail not verifiable: %d record(s) are neither signed nor MAC-verified (%s)", r.Unverified, r.whyUnverified())
	case r.Has(Torn):
		r.Status, r.Result = StatusTorn, "torn last line: the writer stopped mid-write"
	case len(r.Recoveries) > 0 || len(r.Recovered) > 0:
		r.Status, r.Result = StatusRecovered, r.recoveredResult()
	case r.Tail > 0 && r.TailVerified == r.Tail:
		r.Status, r.Result = StatusIntactTail, fmt.Sprintf("intact, %d records after the last checkpoint (MAC-verified)", r.Tail)
	default:
		r.Status, r.Result = StatusIntact, "intact"
	}
	if r.Unverified > 0 && allowUnsigned {
		r.Notes = append(r.Notes, fmt.Sprintf("%d record(s) neither signed nor MAC-verified, accepted with --allow-unsigned-tail", r.Unverified))
	}
	// The keying ends the result once: a tail not verifiable because of it
	// already names it (whyUnverified).
	if r.Keying != "keyed" && r.Status != StatusTampered && r.Status != StatusTruncated && r.Status != StatusUnverifiable {
		r.Result += " (" + r.Keying + ")"
	}
}

func (r *Report) whyUnverified() string {
	if r.Keying == "keyed" {
		return "no MAC key given"
	}
	return "the log is " + r.Keying
}

func (r *Report) recoveredResult() string {
	var at []string
	for _, rc := range r.Recoveries {
		at = append(at, fmt.Sprint(rc.CrashSeq))
	}
	if len(at) == 0 {
		return fmt.Sprintf("recovered after a crash (%d torn tail(s) declared)", len(r.Recovered))
	}
	return "recovered after a crash at record " + strings.Join(at, ", ")
}
