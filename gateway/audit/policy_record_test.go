package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/audit"
)

// TestPolicyChangeRecord: a policy change is a record of kind policy with
// the hashes before and after and what changed (capped), recorded even at
// method level none, and its event carries them.
func TestPolicyChangeRecord(t *testing.T) {
	cfg := audit.DefaultConfig()
	cfg.MethodLevel = audit.LevelNone
	r, err := audit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	long := strings.Repeat("é", audit.MaxChange) // two bytes a rune
	rec, err := r.Record(context.Background(), audit.Fields{Method: audit.MethodPolicyChange, Subject: "ops",
		PolicyBefore: "aaaa", PolicyHash: "bbbb", Change: long})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Kind() != audit.KindPolicy || rec.Seq() == 0 || rec.PolicyBefore() != "aaaa" || rec.PolicyHash() != "bbbb" {
		t.Fatalf("record kind %s seq %d before %q after %q", rec.Kind(), rec.Seq(), rec.PolicyBefore(), rec.PolicyHash())
	}
	if n := len(rec.Change()); n > audit.MaxChange || n < audit.MaxChange-1 || !strings.HasPrefix(long, rec.Change()) {
		t.Errorf("change of %d bytes kept as %d bytes", len(long), n)
	}
	attrs := map[string]string{}
	for _, kv := range audit.Attributes(rec) {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	if attrs[audit.AttrKind] != "policy" || attrs[audit.AttrPolicyPrev] != "aaaa" || attrs[audit.AttrPolicyHash] != "bbbb" || attrs[audit.AttrChange] == "" {
		t.Errorf("event attributes %v", attrs)
	}
	// Other methods are still skipped at level none.
	if rec, err := r.Record(context.Background(), audit.Fields{Method: "tools/list", Decision: audit.Allow}); err != nil || rec.ID() != "" {
		t.Errorf("a tools/list record at level none: %v %q", err, rec.ID())
	}
}
