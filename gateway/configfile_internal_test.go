package gateway

import (
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/policy"
)

// TestRewritePolicy: the rewritten file reads back as the new policy, and
// every line outside the policy section is as it was.
func TestRewritePolicy(t *testing.T) {
	next := func(c policy.Config) policy.Config {
		c.Scopes.Overrides = append([]policy.ScopeOverride{{Tool: "posts.Posts.Delete", Scopes: []string{"blog:write"}}}, c.Scopes.Overrides...)
		c.Scopes.Mode = policy.ModeAll
		c.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "*", Limit: policy.Limit{Rate: 9, Burst: 3}}}
		return c
	}
	for _, tc := range []struct {
		name, file string
		before     string // the text before the policy section, kept
		after      string // the text after it, kept
	}{
		{"empty file", "", "", ""},
		{"no policy", "# top\ntimeout: 5s\n", "# top\ntimeout: 5s\n", ""},
		{"null policy", "timeout: 5s\npolicy:\n", "timeout: 5s\n", ""},
		{"in the middle", "auth:\n  baseline_scopes: [blog:read]\n# the policy\npolicy:\n  list_uncallable: true # shown\n  rate_limit:\n    account_tool:\n      - tool: \"*\"\n        rate: 5\n        burst: 20\n\n# the rest\nrecord_arguments: true\n",
			"auth:\n  baseline_scopes: [blog:read]\n# the policy\n", "\n# the rest\nrecord_arguments: true\n"},
		{"four spaces", "policy:\n    scopes:\n        overrides:\n            - tool: users.Users.List # listed\n              scopes: [blog:read]\ntimeout: 5s\n", "", "timeout: 5s\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig([]byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			want := next(c.Policy)
			out, err := rewritePolicy([]byte(tc.file), c.Policy, want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseConfig(out)
			if err != nil {
				t.Fatalf("rewritten file does not load: %v\n%s", err, out)
			}
			if hashPolicy(got.Policy) != hashPolicy(want) {
				t.Errorf("rewritten policy %+v, want %+v\n%s", got.Policy, want, out)
			}
			s := string(out)
			if !strings.HasPrefix(s, tc.before) || !strings.HasSuffix(s, tc.after) {
				t.Errorf("text outside policy changed:\n%s", s)
			}
			for _, kept := range []string{"# shown", "# listed"} {
				if strings.Contains(tc.file, kept) && !strings.Contains(s, kept) {
					t.Errorf("comment %q lost:\n%s", kept, s)
				}
			}
			if again, err := rewritePolicy(out, want, want); err != nil || string(again) != s {
				t.Errorf("rewriting an unchanged policy changed the file: %v\n%s", err, again)
			}
		})
	}
}

func TestRewritePolicyRefuses(t *testing.T) {
	for _, file := range []string{"- a\n- b\n", "policy: 3\n", "policy: {scopes: {mode: any}}\n"} {
		c := DefaultConfig().Policy
		n := c
		n.Scopes.Mode = policy.ModeAll
		if out, err := rewritePolicy([]byte(file), c, n); err == nil {
			if got, perr := parseConfig(out); perr != nil || got.Policy.Scopes.Mode != policy.ModeAll {
				t.Errorf("%q: rewritten without error to a file that does not hold the change:\n%s", file, out)
			}
		}
	}
}

func TestDescribeChange(t *testing.T) {
	a := DefaultConfig().Policy
	a.Scopes.Overrides = []policy.ScopeOverride{{Tool: "x", Scopes: []string{"s1"}}, {Tool: "gone", Scopes: []string{"s"}}}
	b := a
	b.Scopes.Overrides = []policy.ScopeOverride{{Tool: "x", Scopes: []string{"s2"}, Mode: policy.ModeAll}, {Tool: "new", Scopes: []string{"n"}}}
	b.Scopes.Unscoped = policy.UnscopedDeny
	b.RateLimit.Account = policy.Limit{Rate: 2, Burst: 4}
	got := describeChange(a, b)
	want := "scopes.overrides[x]: [s1] -> [s2] mode all; scopes.overrides[new]: added [n]; scopes.overrides[gone]: removed (was [s]); " +
		"scopes.unscoped: authenticated -> deny; rate_limit.account: none -> 2/s burst 4"
	if got != want {
		t.Errorf("describeChange:\n got %s\nwant %s", got, want)
	}
	if describeChange(a, a) != "" {
		t.Errorf("no change described as %q", describeChange(a, a))
	}
}
