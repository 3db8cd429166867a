package console

import (
	"context"
	"net/http"
	"time"

	"github.com/tracegate/tracegate/gateway/audit/search"
	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// auditView is the Audit page: the chain's state and a search of the trail
// in Jaeger (the same search as `tracegate audit search`).
type auditView struct {
	State    AuditState     `json:"state"`
	Search   search.Options `json:"-"`
	Since    string         `json:"-"`
	Results  []search.Entry `json:"results,omitempty"`
	Searched bool           `json:"-"`
	Note     string         `json:"note,omitempty"`
}

// auditSearch reads the search form (tool, subject, decision, intent,
// since) and runs it when any of it is given.
func (c *Console) auditSearch(ctx context.Context, r *http.Request, v *auditView) {
	q := r.URL.Query()
	v.Search = search.Options{Tool: q.Get("tool"), Subject: q.Get("subject"), Decision: q.Get("decision"), Intent: q.Get("intent")}
	v.Since = q.Get("since")
	if v.Since == "" {
		v.Since = "1h"
	}
	if q.Get("search") == "" {
		return
	}
	v.Searched = true
	since, err := time.ParseDuration(v.Since)
	switch {
	case err != nil || since <= 0:
		v.Note = "since must be a positive duration such as 30m or 24h"
		return
	case c.jaeger == nil:
		v.Note = "No Jaeger configured (console.jaeger_url): the trail's search asks Jaeger."
		return
	}
	o := v.Search
	o.JaegerURL, o.Service, o.Since, o.HTTPClient, o.Now = c.cfg.JaegerURL, c.cfg.Service, since, c.http, c.now
	res, err := search.Query(ctx, o)
	if err != nil {
		v.Note = err.Error()
		return
	}
	for i := range res { // links go to Jaeger's UI (or where jaeger_ui_url says), not its query API
		res[i].URL = jaegerapi.TraceURL(c.cfg.JaegerUIURL, res[i].TraceID)
	}
	v.Results = res
}

func (c *Console) auditView(r *http.Request) auditView {
	v := auditView{State: c.backend.Audit(r.Context(), r.URL.Query().Get("verify") != "")}
	v.State.Gaps, v.State.Dropped = c.feed.Gaps()
	c.auditSearch(r.Context(), r, &v)
	return v
}

func (c *Console) serveAudit(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "audit", view{Title: "Audit", Data: c.auditView(r)})
}

func (c *Console) apiAudit(w http.ResponseWriter, r *http.Request) {
	v := c.auditView(r)
	writeJSON(w, http.StatusOK, v.State)
}

func (c *Console) apiAuditSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	q.Set("search", "1")
	r.URL.RawQuery = q.Encode()
	v := auditView{}
	c.auditSearch(r.Context(), r, &v)
	if v.Note != "" && v.Results == nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": v.Note})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": v.Results})
}

func (c *Console) serveLimits(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "limits", view{Title: "Limits", Data: c.backend.Limits()})
}

func (c *Console) apiLimits(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.backend.Limits())
}

func (c *Console) apiMe(w http.ResponseWriter, r *http.Request) {
	who := callerOf(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"operator": who.op, "session": who.sessionID != ""})
}
