package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tracegate/tracegate/gateway/policy"
)

// manageView is the Manage page.
type manageView struct {
	State PolicyState
	Tools []string // tool names, offered for overrides and limits
	Modes []policy.MatchMode
}

func (c *Console) manageView() manageView {
	v := manageView{State: c.backend.Policy(), Modes: []policy.MatchMode{policy.ModeAny, policy.ModeAll}}
	for _, t := range c.backend.Tools().Tools {
		v.Tools = append(v.Tools, t.Canonical)
	}
	return v
}

func (c *Console) serveManage(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Manage", Data: c.manageView()}
	if h := r.URL.Query().Get("changed"); h != "" {
		v.Notice = "Policy changed; now in force: " + h
	}
	c.render(w, r, http.StatusOK, "manage", v)
}

// serveManagePost applies one form of the Manage page to the policy in
// force and hands it to the backend; success redirects (so a reload does
// not post again), a refusal shows the page with the reason.
func (c *Console) serveManagePost(w http.ResponseWriter, r *http.Request) {
	st := c.backend.Policy()
	next, err := applyForm(clonePolicy(st.Config), r)
	if err == nil {
		var after string
		_, after, err = c.backend.UpdatePolicy(r.Context(), r.PostFormValue("base"), next, callerOf(r.Context()).op)
		if err == nil {
			http.Redirect(w, r, Path+"/manage?changed="+after, http.StatusSeeOther)
			return
		}
	}
	status := errStatus(err)
	c.logger.Printf("policy change by %s refused: %v", callerOf(r.Context()).op.Subject, err)
	c.render(w, r, status, "manage", view{Title: "Manage", Data: c.manageView(), Error: err.Error()})
}

// policyPut is the body of PUT /console/api/policy.
type policyPut struct {
	BaseHash string        `json:"base_hash"`
	Policy   policy.Config `json:"policy"`
}

func (c *Console) apiPolicy(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.backend.Policy())
}

// apiPutPolicy replaces the policy; base_hash (optional) guards against a
// concurrent change.
func (c *Console) apiPutPolicy(w http.ResponseWriter, r *http.Request) {
	var body policyPut
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body: " + err.Error()})
		return
	}
	before, after, err := c.backend.UpdatePolicy(r.Context(), body.BaseHash, body.Policy, callerOf(r.Context()).op)
	if err != nil {
		writeJSON(w, errStatus(err), map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"before": before, "after": after})
}

func clonePolicy(p policy.Config) policy.Config {
	p.Scopes.Overrides = slices.Clone(p.Scopes.Overrides)
	p.Scopes.Default = slices.Clone(p.Scopes.Default)
	p.RateLimit.Tools = slices.Clone(p.RateLimit.Tools)
	p.RateLimit.AccountTool = slices.Clone(p.RateLimit.AccountTool)
	return p
}

// scopeList splits a form's scope list (spaces or commas).
func scopeList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r' })
}

// applyForm applies the Manage form in r (field op) to p.
func applyForm(p policy.Config, r *http.Request) (policy.Config, error) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	tool := f("tool")
	switch f("op") {
	case "override":
		if tool == "" {
			return p, fmt.Errorf("%w: a tool name or pattern is required", ErrInvalid)
		}
		o := policy.ScopeOverride{Tool: tool, Scopes: scopeList(f("scopes")), Mode: policy.MatchMode(f("mode"))}
		p.Scopes.Overrides = slices.DeleteFunc(p.Scopes.Overrides, func(x policy.ScopeOverride) bool { return x.Tool == tool })
		if len(o.Scopes) > 0 || o.Mode != "" {
			p.Scopes.Overrides = append(p.Scopes.Overrides, o)
		}
	case "remove_override":
		p.Scopes.Overrides = slices.DeleteFunc(p.Scopes.Overrides, func(x policy.ScopeOverride) bool { return x.Tool == tool })
	case "defaults":
		p.Scopes.Mode = policy.MatchMode(f("mode"))
		p.Scopes.Unscoped = policy.UnscopedPolicy(f("unscoped"))
		p.Scopes.Default = scopeList(f("default"))
	case "limit", "remove_limit":
		list := &p.RateLimit.Tools
		switch f("kind") {
		case "tools":
		case "account_tool":
			list = &p.RateLimit.AccountTool
		default:
			return p, fmt.Errorf("%w: limit kind must be tools or account_tool", ErrInvalid)
		}
		if tool == "" {
			return p, fmt.Errorf("%w: a tool name or pattern is required", ErrInvalid)
		}
		*list = slices.DeleteFunc(*list, func(x policy.ToolLimit) bool { return x.Tool == tool })
		if f("op") == "limit" {
			l, err := limitOf(f("rate"), f("burst"))
			if err != nil {
				return p, err
			}
			if l != (policy.Limit{}) {
				*list = append(*list, policy.ToolLimit{Tool: tool, Limit: l})
			}
		}
	case "account":
		l, err := limitOf(f("rate"), f("burst"))
		if err != nil {
			return p, err
		}
		p.RateLimit.Account = l
	default:
		return p, fmt.Errorf("%w: unknown change %q", ErrInvalid, f("op"))
	}
	if err := p.Validate(); err != nil {
		return p, errors.Join(ErrInvalid, err)
	}
	return p, nil
}

// limitOf reads a rate (per second) and a burst; an empty or zero rate is
// no limit.
func limitOf(rate, burst string) (policy.Limit, error) {
	if rate == "" || rate == "0" {
		return policy.Limit{}, nil
	}
	r, err1 := strconv.ParseFloat(rate, 64)
	b, err2 := strconv.Atoi(burst)
	if err := errors.Join(err1, err2); err != nil {
		return policy.Limit{}, fmt.Errorf("%w: rate and burst must be numbers: %w", ErrInvalid, err)
	}
	return policy.Limit{Rate: r, Burst: b}, nil
}
