package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the templates besides base.html, one per page.
var pageNames = []string{"tools", "decisions", "message", "audit", "limits", "manage", "error", "continue", "signedout"}

// pages holds each page's template set (base.html plus the page).
type pages map[string]*template.Template

func parsePages() pages {
	funcs := template.FuncMap{
		"nav": func() []navItem { return navItems },
		// traceURL links a trace to Jaeger's UI, or where a jaeger_ui_url with {trace_id} says.
		"traceURL": jaegerapi.TraceURL,
		"join":     strings.Join,
		"when":     func(t time.Time) string { return t.UTC().Format("15:04:05.000") },
		"date":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ms":       func(f float64) string { return fmt.Sprintf("%.1f ms", f) },
		"pretty": func(raw json.RawMessage) string {
			var b bytes.Buffer
			if json.Indent(&b, raw, "", "  ") != nil {
				return string(raw)
			}
			return b.String()
		},
		"rowOf": func(v view, kind, tool string, rate float64, burst int) limitRow {
			st := v.Data.(manageView).State
			return limitRow{V: v, Kind: kind, Tool: tool, Rate: rate, Burst: burst, Hash: st.Hash,
				ReadOnly: st.ReadOnly != "" || st.LimitsReadOnly != ""}
		},
		"short": func(s string) string {
			if len(s) > 12 {
				return s[:12] + "…"
			}
			return s
		},
	}
	p := pages{}
	for _, name := range pageNames {
		p[name] = template.Must(template.New("base.html").Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/"+name+".html"))
	}
	return p
}

// limitRow is one rate limit on the Manage page.
type limitRow struct {
	V          view
	Kind, Tool string
	Rate       float64
	Burst      int
	Hash       string
	ReadOnly   bool
}

// navItem is an entry of the console's navigation.
type navItem struct{ Page, Label string }

var navItems = []navItem{{"tools", "Tools"}, {"decisions", "Decisions"}, {"message", "Message"},
	{"audit", "Audit"}, {"limits", "Limits"}, {"manage", "Manage"}}

// view is what every page template gets.
type view struct {
	Title   string
	Page    string  // the nav entry marked current
	Who     *caller // nil when signed out
	Data    any
	Notice  string // a change that succeeded
	Error   string // a change that failed
	Jaeger  string // Jaeger UI base URL, "" when not configured
	Console string // Path
}

// CSRF is the session's token for forms ("" for bearer requests).
func (v view) CSRF() string {
	if v.Who == nil {
		return ""
	}
	return v.Who.csrf
}

// render writes page name with v.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Who, v.Jaeger, v.Console = callerOf(r.Context()), c.cfg.JaegerUIURL, Path
	if v.Page == "" {
		v.Page = name
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, v); err != nil {
		c.logger.Printf("render %s: %v", name, err)
		http.Error(w, "console: could not render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError writes an error page.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", view{Title: http.StatusText(status), Data: msg})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// staticHandler serves the embedded CSS and JavaScript.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	return http.StripPrefix(StaticPath, http.FileServer(http.FS(sub)))
}
