package policy_test

import (
	"fmt"
	"net/http"

	"github.com/tracegate/tracegate/gateway/policy"
)

func ExampleScopePolicy_Authorize() {
	cfg := policy.DefaultScopeConfig()
	cfg.Overrides = []policy.ScopeOverride{{Tool: "posts.Posts.Delete", Scopes: []string{"posts:admin"}}}
	sp, err := policy.NewScopePolicy(cfg)
	if err != nil {
		panic(err)
	}
	alice := policy.Principal{Subject: "alice", Scopes: []string{"posts:*"}}
	bob := policy.Principal{Subject: "bob", Scopes: []string{"posts:read"}}

	req := sp.Resolve("posts.Posts.Create", policy.ParseScopes("posts:write,posts:admin"))
	fmt.Println(req.Source, req.Scopes)
	d := sp.Authorize(alice, req)
	fmt.Println(d.Allowed, d.Reason, d.Granted, d.Satisfied)
	d = sp.Authorize(bob, sp.Resolve("posts.Posts.Delete", nil))
	fmt.Println(d.Allowed, d.Reason, d.Missing)
	// Output:
	// service [posts:write posts:admin]
	// true granted [posts:*] [posts:write posts:admin]
	// false insufficient_scope [posts:admin]
}

func ExampleNewChallenge() {
	meta := policy.MetadataURL("https://gw.example.com/mcp")
	c := policy.NewChallenge(policy.ErrInsufficientScope, meta, []string{"posts:write"}, 0)
	h := http.Header{}
	c.Apply(h)
	fmt.Println(c.Status)
	fmt.Println(h.Get("WWW-Authenticate"))
	// Output:
	// 403
	// Bearer error="insufficient_scope", error_description="the token lacks a scope this tool requires", scope="posts:write", resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp"
}
