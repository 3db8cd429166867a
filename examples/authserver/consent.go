package authserver

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
)

//go:embed consent.html
var pageFiles embed.FS

// pages holds the consent and error pages (html/template escapes every
// value, the client's self-chosen name included).
var pages = template.Must(template.ParseFS(pageFiles, "consent.html"))

// consentView is what the consent page shows and posts back.
type consentView struct {
	Title, Nonce          string
	ClientName, ClientID  string
	Verified              bool // the client is described by its metadata document
	RedirectURI, Resource string
	Scopes                []string
	User                  string
	Action                string
	RequestID, CSRFToken  string
}

// errorView is the page for a request that cannot go back to the client.
type errorView struct {
	Title, Nonce, Message string
}

// renderConsent writes the consent page.
func (s *Server) renderConsent(w http.ResponseWriter, r *http.Request, p consentView) {
	p.Title = "Authorize " + p.ClientName
	// The form's answer is a redirect to the client: CSP form-action must
	// allow the redirect URI's origin as well as this server.
	formAction := "'self'"
	if u, err := url.Parse(p.RedirectURI); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		formAction += " " + u.Scheme + "://" + u.Host
	} else if err == nil {
		formAction += " " + u.Scheme + ":"
	}
	s.render(w, r, http.StatusOK, "consent", formAction, func(nonce string) any { p.Nonce = nonce; return p })
}

// errorPage writes an error page with status.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", "'none'", func(nonce string) any {
		return errorView{Title: http.StatusText(status), Nonce: nonce, Message: msg}
	})
}

// render executes a page with a fresh CSP nonce for its one style element;
// the page may not be framed or cached, and sends a Referer (and so a real
// Origin with the consent form) only to itself.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, formAction string, data func(nonce string) any) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawStdEncoding.EncodeToString(b[:])
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data(nonce)); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "page failed", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
