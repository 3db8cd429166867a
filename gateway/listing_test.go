package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/policy"
)

// TestListUncallable: by default tools/list hides the tools a token cannot
// call; with policy.list_uncallable they are listed with the scopes they
// need in _meta, so a standard client can step up.
func TestListUncallable(t *testing.T) {
	for _, list := range []bool{false, true} {
		pe := newProbeEnv(t, func(o *gateway.Options) { o.Config.Policy.ListUncallable = list })
		c := &rawClient{url: pe.url, token: pe.token}
		c.initialize(t)
		r := c.post(t, "tools/list", map[string]any{})
		var res struct {
			Tools []struct {
				Name string         `json:"name"`
				Meta map[string]any `json:"_meta"`
			} `json:"tools"`
		}
		if err := json.Unmarshal(r.Result, &res); err != nil {
			t.Fatal(err)
		}
		tools := map[string]map[string]any{}
		for _, tl := range res.Tools {
			tools[tl.Name] = tl.Meta
		}
		if _, ok := tools["probe.Probe.Read"]; !ok {
			t.Fatalf("callable tool missing: %v", tools)
		}
		meta, listed := tools["probe.Probe.Admin"]
		switch {
		case !list && listed:
			t.Fatalf("uncallable tool listed by default: %v", tools)
		case list && !listed:
			t.Fatalf("uncallable tool hidden with list_uncallable: %v", tools)
		case list:
			req, _ := meta["io.tracegate/required-scopes"].(map[string]any)
			if scopes, _ := req["scopes"].([]any); len(scopes) != 1 || scopes[0] != "probe:admin" {
				t.Fatalf("_meta of the uncallable tool: %v", meta)
			}
			if _, callable := tools["probe.Probe.Read"]["io.tracegate/required-scopes"]; callable {
				t.Fatal("a callable tool is marked")
			}
		}
	}
}

// TestUnknownToolsShareOneLimitKey: calls of tools the catalog does not
// hold count against the caller's limits under one shared key, so hostile
// names neither escape the limit nor grow the limiter.
func TestUnknownToolsShareOneLimitKey(t *testing.T) {
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.Policy.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "*", Limit: policy.Limit{Rate: 0.001, Burst: 2}}}
	})
	e := era{modern: true}
	var reasons []string
	for i := range 3 {
		name := "nope.Nope.N" + strings.Repeat("x", i)
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":{},` + e.meta() + `}}`
		_, _, ans := pe.post(t, e, []byte(body), "tools/call", name)
		reasons = append(reasons, ans.reason())
	}
	if strings.Join(reasons, ",") != "unknown_tool,unknown_tool,rate_limited" {
		t.Fatalf("reasons %v, want two unknown_tool then rate_limited", reasons)
	}
}

// TestRateLimitEventOnAllowedCall: the rate-limit event of an allowed call
// names the bucket that applied (the tightest), with its limit and burst.
func TestRateLimitEventOnAllowedCall(t *testing.T) {
	e := newEnv(t, func(o *gateway.Options) {
		o.Config.Policy.RateLimit.AccountTool = []policy.ToolLimit{{Tool: "users.Users.List", Limit: policy.Limit{Rate: 5, Burst: 20}}}
	})
	cs := e.connect(t, nil)
	e.capture.Reset()
	call(t, cs, "users.Users.List", map[string]any{}, nil)
	ev := e.capture.LogsNamed(gateway.EventRateLimitDecision)
	if len(ev) != 1 {
		t.Fatalf("%d rate-limit events", len(ev))
	}
	a := oteltestAttrs(ev[0])
	if a["tracegate.ratelimit.decision"] != "allowed" || a["tracegate.ratelimit.kind"] == "" ||
		a["tracegate.ratelimit.limit"] != "5" || a["tracegate.ratelimit.burst"] != "20" {
		t.Fatalf("event %v", a)
	}
}
