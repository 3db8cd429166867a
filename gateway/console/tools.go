package console

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/tracegate/tracegate/gateway/policy"
)

// toolsView is the Tools page: the tools under one policy and, when
// clients are configured, which of them may call each.
type toolsView struct {
	ToolSet
	Clients bool // the clients column is shown
	Version string
}

// tools returns the tools with the configured clients that may call each:
// those whose scopes satisfy the tool's effective requirement under the
// policy's rules (mode, wildcards, unscoped tools).
func (c *Console) tools() toolsView {
	ts := c.backend.Tools()
	v := toolsView{ToolSet: ts, Clients: len(c.cfg.Clients) > 0, Version: toolsVersion(ts)}
	if !v.Clients {
		return v
	}
	sp, err := policy.NewScopePolicy(ts.Policy.Scopes)
	if err != nil {
		return v
	}
	for i := range v.Tools {
		t := &v.Tools[i]
		for _, cl := range c.cfg.Clients {
			if sp.Authorize(policy.Principal{Subject: cl.ID, Client: cl.ID, Scopes: cl.Scopes}, t.Requirement).Allowed {
				t.Clients = append(t.Clients, cl.ID)
			}
		}
	}
	return v
}

// toolsVersion identifies a tool list and its policy: the live feed tells
// the Tools page to refresh when it changes.
func toolsVersion(ts ToolSet) string {
	h := sha256.New()
	h.Write([]byte(ts.PolicyHash))
	for _, t := range ts.Tools {
		h.Write([]byte("\x00" + t.Name + "\x00" + t.Canonical + "\x00" + t.Description))
		h.Write(t.InputSchema)
		for _, s := range t.Declared {
			h.Write([]byte("\x01" + s))
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (c *Console) serveTools(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "tools", view{Title: "Tools", Data: c.tools()})
}

func (c *Console) apiTools(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.tools())
}
