//go:build e2e

package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// eras are the spec versions the suite runs at; every applicable scenario
// runs once per era.
var eras = []string{"2025-11-25", "2026-07-28"}

// TestConformance runs the MCP conformance suite's server scenarios against
// the gateway for both eras and compares the outcome with
// expected-failures.yaml.
func TestConformance(t *testing.T) {
	expected := loadExpected(t, "expected-failures.yaml")
	e := startEnv(t)
	ran := map[string]bool{} // scenario names that ran in some era
	for _, era := range eras {
		t.Run(era, func(t *testing.T) {
			results := runSuite(t, e.srv.URL+"/mcp", era)
			if len(results) == 0 {
				t.Fatal("the suite ran no scenario")
			}
			for _, r := range results {
				ran[r.Scenario] = true
			}
			judge(t, era, results, expected)
		})
	}
	for name := range expected {
		if !ran[name] {
			t.Errorf("%s: listed in expected-failures.yaml but ran in no era: remove it", name)
		}
	}
}

// expectation is one entry of expected-failures.yaml.
type expectation struct {
	Scenario string `yaml:"scenario"`
	// Reason says why the gateway cannot pass it; required.
	Reason string `yaml:"reason"`
	// Eras limits the entry to these spec versions (default: every era in
	// which the scenario runs).
	Eras []string `yaml:"eras"`
	// Checks, when set, are the only check ids that may fail; any other
	// failing check of the scenario is a regression.
	Checks []string `yaml:"checks"`
}

func (x expectation) appliesTo(era string) bool {
	return len(x.Eras) == 0 || slices.Contains(x.Eras, era)
}

func loadExpected(t *testing.T, path string) map[string]expectation {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Server []expectation `yaml:"server"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m := map[string]expectation{}
	for _, x := range doc.Server {
		switch {
		case x.Scenario == "" || strings.TrimSpace(x.Reason) == "":
			t.Fatalf("%s: entry %+v needs a scenario and a reason", path, x)
		case m[x.Scenario].Scenario != "":
			t.Fatalf("%s: %s listed twice", path, x.Scenario)
		}
		for _, era := range x.Eras {
			if !slices.Contains(eras, era) {
				t.Fatalf("%s: %s: unknown era %q", path, x.Scenario, era)
			}
		}
		m[x.Scenario] = x
	}
	return m
}

// check is one entry of a scenario's checks.json.
type check struct {
	ID           string `json:"id"`
	Status       string `json:"status"` // SUCCESS, FAILURE, WARNING, SKIPPED, INFO
	ErrorMessage string `json:"errorMessage"`
}

// result is one scenario's outcome in one era.
type result struct {
	Scenario string
	Checks   []check
}

// failed returns the ids (with messages) of the failing checks.
func (r result) failed() []check {
	var out []check
	for _, c := range r.Checks {
		if c.Status == "FAILURE" {
			out = append(out, c)
		}
	}
	return out
}

// passed returns those of ids whose checks ran and all succeeded (a check
// id may repeat); absent or skipped ones are not counted.
func (r result) passed(ids []string) []string {
	var out []string
	for _, id := range ids {
		seen, ok := false, true
		for _, c := range r.Checks {
			if c.ID == id {
				seen = true
				ok = ok && c.Status == "SUCCESS"
			}
		}
		if seen && ok {
			out = append(out, id)
		}
	}
	return out
}

// judge fails the test for every unexpected failure and every expected
// failure that passed, and logs a one-line summary per scenario.
func judge(t *testing.T, era string, results []result, expected map[string]expectation) {
	t.Helper()
	var pass, xfail int
	for _, r := range results {
		failed := r.failed()
		x, listed := expected[r.Scenario]
		listed = listed && x.appliesTo(era)
		var unexpected []check
		for _, c := range failed {
			if !listed || (len(x.Checks) > 0 && !slices.Contains(x.Checks, c.ID)) {
				unexpected = append(unexpected, c)
			}
		}
		switch {
		case len(unexpected) > 0:
			t.Errorf("%s: FAIL (unexpected): %s", r.Scenario, describe(unexpected))
		case listed && len(x.Checks) > 0 && len(r.passed(x.Checks)) > 0:
			t.Errorf("%s: checks %v pass but are listed in expected-failures.yaml: remove them", r.Scenario, r.passed(x.Checks))
		case listed && len(failed) == 0:
			t.Errorf("%s: passes but is listed in expected-failures.yaml (%s): remove the entry", r.Scenario, x.Reason)
		case listed:
			xfail++
			t.Logf("%-45s expected failure: %s", r.Scenario, x.Reason)
		default:
			pass++
			t.Logf("%-45s pass (%d checks)%s", r.Scenario, len(r.Checks), warnings(r))
		}
	}
	t.Logf("era %s: %d scenarios, %d pass, %d expected failures", era, len(results), pass, xfail)
}

// warnings lists the WARNING checks (SHOULD-level), which do not fail.
func warnings(r result) string {
	var ws []string
	for _, c := range r.Checks {
		if c.Status == "WARNING" {
			ws = append(ws, c.ID)
		}
	}
	if len(ws) == 0 {
		return ""
	}
	return "; warnings: " + strings.Join(ws, ", ")
}

func describe(cs []check) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.ID
		if c.ErrorMessage != "" {
			parts[i] += ": " + c.ErrorMessage
		}
	}
	return strings.Join(parts, "; ")
}

// runSuite runs every server scenario of the pinned suite at era against
// url and reads back the checks of each scenario.
func runSuite(t *testing.T, url, era string) []result {
	t.Helper()
	out := t.TempDir()
	if keep := os.Getenv("CONFORMANCE_RESULTS"); keep != "" {
		out = filepath.Join(keep, era)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	args := []string{suiteScript(t), "run", "server", "--url", url, "--spec-version", era, "--suite", "all", "-o", out}
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	console, err := cmd.CombinedOutput()
	t.Logf("suite at %s: %v (exit: %v)", era, time.Since(start).Round(time.Second), err)
	if ctx.Err() != nil {
		t.Fatalf("suite timed out; output:\n%s", console)
	}
	// A non-zero exit only means some scenario failed; the checks decide.
	if testing.Verbose() || os.Getenv("CONFORMANCE_RESULTS") != "" {
		_ = os.WriteFile(filepath.Join(out, "console.txt"), console, 0o644)
	}
	results, rerr := readResults(out)
	if rerr != nil || len(results) == 0 {
		t.Fatalf("no results in %s (%v); suite exit %v, output:\n%s", out, rerr, err, console)
	}
	return results
}

// suiteScript is scripts/node.sh, which installs the suite (npm ci, once)
// and runs it with Node 22.
func suiteScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scripts", "node.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// resultDir matches the suite's directory names: server-<scenario>-<time>.
var resultDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)

func readResults(dir string) ([]result, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []result
	for _, ent := range ents {
		m := resultDir.FindStringSubmatch(ent.Name())
		if !ent.IsDir() || m == nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, ent.Name(), "checks.json"))
		if err != nil {
			return nil, err
		}
		r := result{Scenario: m[1]}
		if err := json.Unmarshal(raw, &r.Checks); err != nil {
			return nil, fmt.Errorf("%s: %w", ent.Name(), err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scenario < out[j].Scenario })
	return out, nil
}
