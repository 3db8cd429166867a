package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
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
	// Archived: see [VerifyConfig].
	Archived bool
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
	fs.BoolVar(&o.Archived, "archived", o.Archived, "the log's first segments were archived on purpose: check from the first file given (else a log that does not start at record 1 is truncated)")
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
		MinRecords: o.MinRecords, Witness: o.Witness, AllowUnsignedTail: o.AllowUnsignedTail, Archived: o.Archived}
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

// RunVerify verifies paths, prints the report to w and returns the exit
// code (see [Report.ExitCode]; [ExitError] for unusable input). The files
// of one log (a single base path is expanded to all its rotated segments)
// give one report. Directories (their *.jsonl files, subdirectories
// included) and files of several logs, e.g. one per gateway replica, give
// a report per log and a total ([LogsReport]); the exit code is the worst
// log's.
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
	logs, err := groupLogs(paths)
	if err != nil {
		fmt.Fprintf(w, "audit verify: %v\n", err)
		return ExitError
	}
	if logs != nil {
		return verifyLogs(ctx, w, o, cfg, logs)
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

// LogsReport is the result of verifying several logs (one per replica):
// each log's report and the total. Exit is the worst log's exit code.
type LogsReport struct {
	Logs  []LogReport `json:"logs"`
	Total LogsTotal   `json:"total"`
}

// LogReport is one log's result: Name tells it apart from the others (its
// base path without what all share, e.g. the replica id of
// audit.<replica>.jsonl).
type LogReport struct {
	Name   string `json:"name"`
	Base   string `json:"base"`
	Report Report `json:"report"`
	Error  string `json:"error,omitempty"`
	Exit   int    `json:"exit"`
}

// LogsTotal sums the logs.
type LogsTotal struct {
	Logs        int            `json:"logs"`
	Records     uint64         `json:"records"`
	Checkpoints int            `json:"checkpoints"`
	Recoveries  int            `json:"recoveries"`
	Statuses    map[Status]int `json:"statuses"`
	Exit        int            `json:"exit"`
}

// exitRank orders exit codes from best to worst: a tampered log decides,
// then one that could not be read, then records nothing vouches for, then
// a torn line.
var exitRank = map[int]int{ExitIntact: 0, ExitTorn: 1, ExitUnverifiable: 2, ExitError: 3, ExitTampered: 4}

// logSet is one log to verify: its base path and files in chain order.
type logSet struct {
	name, base string
	files      []string
}

// groupLogs sorts paths into logs when they are directories or files of
// several logs; nil means one log's files (the single-log form).
func groupLogs(paths []string) ([]logSet, error) {
	var files []string
	dirs := false
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			files = append(files, p)
			continue
		}
		dirs = true
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && strings.HasSuffix(f, ".jsonl") {
				files = append(files, f)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("audit: read %s: %w", p, err)
		}
	}
	byBase := map[string]*logSet{}
	var order []string
	for _, f := range files {
		b := segmentBase(f)
		if byBase[b] == nil {
			byBase[b] = &logSet{base: b}
			order = append(order, b)
		}
		byBase[b].files = append(byBase[b].files, f)
	}
	if !dirs && len(order) <= 1 {
		return nil, nil
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("audit: no *.jsonl files in %s", strings.Join(paths, ", "))
	}
	sort.Strings(order)
	names := logNames(order)
	out := make([]logSet, len(order))
	for i, b := range order {
		out[i] = *byBase[b]
		out[i].name = names[i]
	}
	return out, nil
}

// segmentBase is the base path of an audit file: path itself, or for a
// rotated segment (<stem>-NNNNNN<ext>) <stem><ext>.
func segmentBase(path string) string {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	i := strings.LastIndexByte(stem, '-')
	if i < 0 || len(stem)-i-1 != 6 {
		return path
	}
	if base := stem[:i] + ext; segmentIndex(base, path) > 0 {
		return base
	}
	return path
}

// logNames names each base by what sets it apart: the base paths without
// the prefix and suffix they all share (audit.r1.jsonl, audit.r2.jsonl ->
// r1, r2; r1/audit.jsonl, r2/audit.jsonl -> r1, r2).
func logNames(bases []string) []string {
	names := slices.Clone(bases)
	if len(names) < 2 {
		return names
	}
	pre, suf := names[0], names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, pre) {
			pre = pre[:len(pre)-1]
		}
		for !strings.HasSuffix(n, suf) {
			suf = suf[1:]
		}
	}
	// Cut at separators, so r1 and r10 stay whole.
	pre = pre[:strings.LastIndexAny(pre, "./-_")+1]
	if i := strings.IndexAny(suf, "./-_"); i >= 0 {
		suf = suf[i:]
	} else {
		suf = ""
	}
	for i, n := range names {
		if len(pre)+len(suf) < len(n) {
			names[i] = n[len(pre) : len(n)-len(suf)]
		}
	}
	return names
}

// verifyLogs verifies each log on its own and prints every report and the
// total.
func verifyLogs(ctx context.Context, w io.Writer, o VerifyOptions, cfg VerifyConfig, logs []logSet) int {
	if cfg.ExpectHead != "" || cfg.MinRecords > 0 {
		fmt.Fprintln(w, "audit verify: --expect-head and --min-records name one log: verify its files alone")
		return ExitError
	}
	all := LogsReport{Total: LogsTotal{Logs: len(logs), Statuses: map[Status]int{}}}
	for _, l := range logs {
		segs := l.files
		if s, err := Segments(l.base); err == nil && len(s) >= len(segs) {
			segs = s
		}
		lr := LogReport{Name: l.name, Base: l.base}
		rep, err := VerifyFiles(ctx, cfg, segs...)
		lr.Report, lr.Exit = rep, rep.ExitCode()
		if err != nil {
			lr.Error, lr.Exit = err.Error(), ExitError
		} else {
			all.Total.Records += rep.Records
			all.Total.Checkpoints += rep.Checkpoints
			all.Total.Recoveries += len(rep.Recoveries)
			all.Total.Statuses[rep.Status]++
		}
		if exitRank[lr.Exit] > exitRank[all.Total.Exit] {
			all.Total.Exit = lr.Exit
		}
		all.Logs = append(all.Logs, lr)
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(all)
		return all.Total.Exit
	}
	for _, lr := range all.Logs {
		fmt.Fprintf(w, "== %s (%s)\n", lr.Name, lr.Base)
		if lr.Error != "" {
			fmt.Fprintf(w, "result:      FAIL, %s (exit %d)\n\n", lr.Error, lr.Exit)
			continue
		}
		printReport(w, lr.Report)
		fmt.Fprintln(w)
	}
	t := all.Total
	var statuses []string
	for _, s := range slices.Sorted(maps.Keys(t.Statuses)) {
		statuses = append(statuses, fmt.Sprintf("%d %s", t.Statuses[s], s))
	}
	verdict := "OK"
	if t.Exit != ExitIntact {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "== total\nlogs:        %d (%s)\nrecords:     %d\ncheckpoints: %d\nrecoveries:  %d\nresult:      %s (exit %d)\n",
		t.Logs, strings.Join(statuses, ", "), t.Records, t.Checkpoints, t.Recoveries, verdict, t.Exit)
	return t.Exit
}
