package reason_test

import (
	"regexp"
	"testing"

	"github.com/tracegate/tracegate/gateway/reason"
)

func TestVocabularyIsWellFormed(t *testing.T) {
	word := regexp.MustCompile(`^[a-z][a-z_]*[a-z]$`)
	seen := map[reason.Reason]bool{}
	allows := 0
	for _, r := range reason.All() {
		if !word.MatchString(string(r)) {
			t.Errorf("reason %q is not a snake_case word", r)
		}
		if seen[r] {
			t.Errorf("reason %q declared twice", r)
		}
		seen[r] = true
		if !r.Known() {
			t.Errorf("%q not Known", r)
		}
		if r.Allows() {
			allows++
		}
	}
	if allows != 4 {
		t.Errorf("allowing reasons = %d, want 4", allows)
	}
	if reason.Reason("unscoped_tool_denied").Known() {
		t.Error("a word outside the vocabulary is Known")
	}
	if reason.InsufficientScope.Allows() || !reason.Granted.Allows() {
		t.Error("Allows is wrong for granted/insufficient_scope")
	}
}
