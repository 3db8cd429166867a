package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/tracegate/tracegate/gateway"
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
