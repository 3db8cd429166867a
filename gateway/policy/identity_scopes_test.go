package policy

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// blogContracts are the blog's declared scopes and calls.
var blogContracts = map[string]struct{ scopes, calls []string }{
	"comments.Comments.Create": {[]string{"blog:write"}, []string{"posts.Posts.Read"}},
	"posts.Posts.Create":       {[]string{"blog:write"}, []string{"users.Users.Read"}},
	"posts.Posts.Read":         {[]string{"blog:read"}, []string{"users.Users.Read"}},
	"users.Users.Read":         {[]string{"blog:read"}, nil},
	"users.Users.Create":       {[]string{"blog:admin"}, nil},
	"a.A.Loop":                 {nil, []string{"b.B.Loop"}},
	"b.B.Loop":                 {[]string{"loop"}, []string{"a.A.Loop", "b.B.Loop"}},
}

func blogLookup(name string) ([]string, []string, bool) {
	c, ok := blogContracts[name]
	return c.scopes, c.calls, ok
}

func TestResolveDownstream(t *testing.T) {
	for _, tc := range []struct {
		name  string
		calls []string
		want  []Downstream
	}{
		{"none", nil, nil},
		{"one hop", []string{"users.Users.Read"}, []Downstream{{"users.Users.Read", []string{"blog:read"}}}},
		{"transitive", []string{"posts.Posts.Read"},
			[]Downstream{{"posts.Posts.Read", []string{"blog:read"}}, {"users.Users.Read", []string{"blog:read"}}}},
		{"each once", []string{"posts.Posts.Read", "users.Users.Read", "posts.Posts.Read"},
			[]Downstream{{"posts.Posts.Read", []string{"blog:read"}}, {"users.Users.Read", []string{"blog:read"}}}},
		{"cycle", []string{"a.A.Loop"}, []Downstream{{"a.A.Loop", nil}, {"b.B.Loop", []string{"loop"}}}},
		{"unknown endpoint kept without scopes", []string{"media.Media.Put"}, []Downstream{{"media.Media.Put", nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResolveDownstream(tc.calls, blogLookup); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	// A long chain is cut at MaxDownstream.
	chain := func(name string) ([]string, []string, bool) {
		var i int
		_, _ = fmt.Sscanf(name, "s.S.E%d", &i)
		return nil, []string{fmt.Sprintf("s.S.E%d", i+1)}, true
	}
	if got := ResolveDownstream([]string{"s.S.E0"}, chain); len(got) != MaxDownstream {
		t.Fatalf("endless chain resolved to %d endpoints, want %d", len(got), MaxDownstream)
	}
}

// TestIdentityScopes: the identity carries the principal's scopes within
// the tool's effective scopes and its downstream endpoints' declared
// scopes; wildcard grants are resolved to the concrete scopes they cover,
// as Authorize does, and never copied.
func TestIdentityScopes(t *testing.T) {
	ds := ResolveDownstream([]string{"posts.Posts.Read"}, blogLookup) // blog:read twice
	tool := Requirement{Tool: "comments.Comments.Create", Scopes: []string{"blog:write"}, Mode: ModeAny}
	override := Requirement{Tool: "comments.Comments.Create", Scopes: []string{"blog:moderate"}, Source: SourceOverride}
	for _, tc := range []struct {
		name      string
		wildcards bool
		star      bool
		granted   []string
		req       Requirement
		ds        []Downstream
		want      []string
	}{
		{"exact grants", true, false, []string{"blog:read", "blog:write", "blog:admin", "other"}, tool, ds, []string{"blog:read", "blog:write"}},
		{"only what is held", true, false, []string{"blog:write"}, tool, ds, []string{"blog:write"}},
		{"prefix wildcard covers", true, false, []string{"blog:*"}, tool, ds, []string{"blog:read", "blog:write"}},
		{"prefix wildcard off", false, false, []string{"blog:*"}, tool, ds, nil},
		{"star on", true, true, []string{"*"}, tool, ds, []string{"blog:read", "blog:write"}},
		{"star off", true, false, []string{"*"}, tool, ds, nil},
		{"override replaces the tool's scopes", true, false, []string{"blog:moderate", "blog:write", "blog:read"}, override, ds, []string{"blog:moderate", "blog:read"}},
		{"no downstream", true, false, []string{"blog:read", "blog:write"}, tool, nil, []string{"blog:write"}},
		{"unscoped tool", true, false, []string{"blog:read", "blog:write"}, Requirement{}, ds, []string{"blog:read"}},
		{"nothing held", true, false, nil, tool, ds, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultScopeConfig()
			cfg.Wildcards, cfg.Star = tc.wildcards, tc.star
			p, err := NewScopePolicy(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := p.IdentityScopes(tc.granted, tc.req, tc.ds)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("IdentityScopes = %q, want %q", got, tc.want)
			}
			// Never more than requested, never a wildcard.
			req := RequestedScopes(tc.req, tc.ds)
			for _, s := range got {
				if !slices.Contains(req, s) || s == "*" || s == "blog:*" {
					t.Fatalf("%q is not a requested concrete scope (%q)", s, req)
				}
			}
		})
	}
	if got := RequestedScopes(tool, ds); !slices.Equal(got, []string{"blog:read", "blog:write"}) {
		t.Fatalf("RequestedScopes = %q", got)
	}
	if got := DownstreamNames(ds); !slices.Equal(got, []string{"posts.Posts.Read", "users.Users.Read"}) {
		t.Fatalf("DownstreamNames = %q", got)
	}
}
