package policy

import (
	"errors"
	"github.com/tracegate/tracegate/gateway/reason"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseScopes(t *testing.T) {
	for in, want := range map[string][]string{
		"":                        nil,
		"blog:read":               {"blog:read"},
		"blog:read, blog:write,,": {"blog:read", "blog:write"},
		"a,b,a":                   {"a", "b"},
		" blog:read  blog:write ": {"blog:read", "blog:write"},
	} {
		if got := ParseScopes(in); !slices.Equal(got, want) {
			t.Errorf("ParseScopes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	cfg := DefaultScopeConfig()
	cfg.Default = []string{"default:scope"}
	cfg.Overrides = []ScopeOverride{
		{Tool: "posts.*", Scopes: []string{"posts:any"}},
		{Tool: "posts.Posts.*", Scopes: []string{"posts:rw"}},
		{Tool: "posts.Posts.Delete", Scopes: []string{"posts:admin"}, Mode: ModeAll},
		{Tool: "users.Users.Create", Mode: ModeAll}, // mode only
	}
	p, err := NewScopePolicy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tool     string
		declared []string
		want     Requirement
	}{
		{"posts.Posts.Delete", []string{"x"}, Requirement{"posts.Posts.Delete", []string{"posts:admin"}, ModeAll, SourceOverride}},
		{"posts.Posts.Create", []string{"x"}, Requirement{"posts.Posts.Create", []string{"posts:rw"}, ModeAny, SourceOverride}},
		{"posts.Other.Read", nil, Requirement{"posts.Other.Read", []string{"posts:any"}, ModeAny, SourceOverride}},
		{"users.Users.Create", []string{"u:w", "u:a"}, Requirement{"users.Users.Create", []string{"u:w", "u:a"}, ModeAll, SourceService}},
		{"users.Users.Read", []string{"u:r"}, Requirement{"users.Users.Read", []string{"u:r"}, ModeAny, SourceService}},
		{"comments.C.List", nil, Requirement{"comments.C.List", []string{"default:scope"}, ModeAny, SourceDefault}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			got := p.Resolve(tt.tool, tt.declared)
			if got.Tool != tt.want.Tool || !slices.Equal(got.Scopes, tt.want.Scopes) || got.Mode != tt.want.Mode || got.Source != tt.want.Source {
				t.Fatalf("Resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	def := DefaultScopeConfig()
	deny := DefaultScopeConfig()
	deny.Unscoped = UnscopedDeny
	star := DefaultScopeConfig()
	star.Star = true
	noWild := DefaultScopeConfig()
	noWild.Wildcards = false
	any2 := Requirement{Scopes: []string{"blog:write", "blog:admin"}, Mode: ModeAny}
	all2 := Requirement{Scopes: []string{"blog:write", "blog:admin"}, Mode: ModeAll}
	tests := []struct {
		name                       string
		cfg                        ScopeConfig
		granted                    []string
		req                        Requirement
		allowed                    bool
		reason                     reason.Reason
		wantGranted, wantSat, miss []string
	}{
		{"any: one held", def, []string{"blog:write"}, any2, true, reason.Granted, []string{"blog:write"}, []string{"blog:write"}, nil},
		{"any: none held", def, []string{"blog:read"}, any2, false, reason.InsufficientScope, nil, nil, []string{"blog:write", "blog:admin"}},
		{"all: one missing", def, []string{"blog:write"}, all2, false, reason.InsufficientScope, []string{"blog:write"}, []string{"blog:write"}, []string{"blog:admin"}},
		{"all: both held", def, []string{"blog:admin", "blog:write"}, all2, true, reason.Granted, []string{"blog:write", "blog:admin"}, []string{"blog:write", "blog:admin"}, nil},
		{"wildcard", def, []string{"blog:*"}, all2, true, reason.Granted, []string{"blog:*"}, []string{"blog:write", "blog:admin"}, nil},
		{"wildcard off", noWild, []string{"blog:*"}, any2, false, reason.InsufficientScope, nil, nil, []string{"blog:write", "blog:admin"}},
		{"wildcard other prefix", def, []string{"blogx:*", "blo*"}, any2, false, reason.InsufficientScope, nil, nil, []string{"blog:write", "blog:admin"}},
		{"star off by default", def, []string{"*"}, any2, false, reason.InsufficientScope, nil, nil, []string{"blog:write", "blog:admin"}},
		{"star on", star, []string{"*"}, any2, true, reason.Granted, []string{"*"}, []string{"blog:write", "blog:admin"}, nil},
		{"unscoped authenticated", def, nil, Requirement{}, true, reason.Authenticated, nil, nil, nil},
		{"unscoped deny", deny, []string{"*"}, Requirement{}, false, reason.UnscopedDenied, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewScopePolicy(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			pr := Principal{Subject: "alice", Scopes: tt.granted}
			d := p.Authorize(pr, tt.req)
			if d.Allowed != tt.allowed || d.Reason != tt.reason || !slices.Equal(d.Granted, tt.wantGranted) ||
				!slices.Equal(d.Satisfied, tt.wantSat) || !slices.Equal(d.Missing, tt.miss) {
				t.Fatalf("Authorize = %+v", d)
			}
			if p.CanList(pr, tt.req) != tt.allowed {
				t.Fatal("CanList disagrees with Authorize")
			}
			switch err := d.Err(); {
			case tt.allowed && err != nil:
				t.Fatal(err)
			case !tt.allowed && tt.reason == reason.UnscopedDenied && !errors.Is(err, ErrUnscopedDenied):
				t.Fatal(err)
			case !tt.allowed && tt.reason == reason.InsufficientScope && !errors.Is(err, ErrInsufficientScope):
				t.Fatal(err)
			}
		})
	}
}

func TestConfigYAMLAndValidate(t *testing.T) {
	doc := `
scopes:
  mode: any
  unscoped: deny
  wildcards: true
  overrides:
    - tool: "posts.Posts.*"
      scopes: [posts:write]
      mode: all
rate_limit:
  tools:
    - tool: "posts.*"
      rate: 5
      burst: 10
  account: {rate: 1, burst: 2}
  account_tool:
    - tool: "*"
      rate: 0.5
      burst: 1
  max_entries: 1000
  idle_ttl: 5m
`
	cfg := DefaultConfig()
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Scopes.Unscoped != UnscopedDeny || cfg.Scopes.Overrides[0].Mode != ModeAll ||
		cfg.RateLimit.Tools[0].Rate != 5 || cfg.RateLimit.Tools[0].Burst != 10 ||
		cfg.RateLimit.AccountTool[0].Rate != 0.5 || cfg.RateLimit.IdleTTL != 5*time.Minute || cfg.RateLimit.Account.Burst != 2 {
		t.Fatalf("decoded %+v", cfg)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}

	bad := []struct {
		name string
		mod  func(*Config)
		want error
	}{
		{"mode", func(c *Config) { c.Scopes.Mode = "some" }, ErrInvalidMode},
		{"unscoped", func(c *Config) { c.Scopes.Unscoped = "open" }, ErrInvalidUnscoped},
		{"pattern", func(c *Config) { c.Scopes.Overrides = []ScopeOverride{{Tool: "posts.[", Scopes: []string{"x"}}} }, ErrInvalidPattern},
		{"empty tool", func(c *Config) { c.Scopes.Overrides = []ScopeOverride{{Scopes: []string{"x"}}} }, ErrInvalidPattern},
		{"empty scope", func(c *Config) { c.Scopes.Overrides = []ScopeOverride{{Tool: "a", Scopes: []string{""}}} }, ErrEmptyScope},
		{"burst", func(c *Config) { c.RateLimit.Account = Limit{Rate: 1} }, ErrInvalidLimit},
		{"rate", func(c *Config) { c.RateLimit.Tools = []ToolLimit{{Tool: "a", Limit: Limit{Rate: -1, Burst: 1}}} }, ErrInvalidLimit},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			if err := c.Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkAuthorize(b *testing.B) {
	cfg := DefaultScopeConfig()
	cfg.Overrides = []ScopeOverride{{Tool: "posts.Posts.*", Scopes: []string{"posts:write"}}, {Tool: "users.*", Scopes: []string{"users:read"}}}
	p, err := NewScopePolicy(cfg)
	if err != nil {
		b.Fatal(err)
	}
	pr := Principal{Subject: "alice", Scopes: []string{"blog:read", "comments:*", "posts:write"}}
	declared := []string{"posts:read"}
	b.ReportAllocs()
	for b.Loop() {
		if d := p.Authorize(pr, p.Resolve("posts.Posts.Create", declared)); !d.Allowed {
			b.Fatal(d)
		}
	}
}
