package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tracegate/tracegate/gateway/policy"
)

// maxBody bounds a change's request body.
const maxBody = 256 << 10

// Cookies and the CSRF token's names.
const (
	// SessionCookie holds the session id: HttpOnly, SameSite=Strict,
	// Secure under TLS, path /console.
	SessionCookie = "tracegate_console"
	// LoginCookie binds a sign-in to the browser that started it
	// (SameSite=Lax: it must come back with the identity provider's
	// redirect).
	LoginCookie = "tracegate_console_login"
	// CSRFHeader carries the session's CSRF token on API changes; forms
	// send it as the field CSRFField.
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
)

// session is a signed-in operator.
type session struct {
	op   Operator
	csrf string
}

// caller is the operator of a request and how it was authenticated.
type caller struct {
	op        Operator
	sessionID string // "" for a bearer token
	csrf      string
}

// Operator is the signed-in operator (for templates).
func (c *caller) Operator() Operator { return c.op }

// refusal is why a request is not served.
type refusal struct {
	status    int
	message   string
	challenge string // WWW-Authenticate
}

func (r *refusal) Error() string { return r.message }

// authenticate finds the operator of r: a bearer token (judged alone when
// present: no cookie fallback) that verifies for the console's audience
// and carries the operator scope, else the session cookie. nil, nil means
// no credentials at all.
func (c *Console) authenticate(r *http.Request) (*caller, *refusal) {
	if r.Header.Get("Authorization") != "" {
		token, err := policy.BearerToken(r)
		if err != nil || token == "" {
			return nil, c.tokenRefusal(http.StatusUnauthorized, "invalid_request", "a bearer token is required")
		}
		p, err := c.verifier.Verify(r.Context(), token)
		if err != nil {
			// An MCP-audience token lands here: wrong audience.
			return nil, c.tokenRefusal(http.StatusUnauthorized, "invalid_token", "the token is not valid for the console ("+c.cfg.Resource+")")
		}
		if !slices.Contains(p.Scopes, c.cfg.Scope) {
			return nil, c.tokenRefusal(http.StatusForbidden, "insufficient_scope", "the token lacks the operator scope "+c.cfg.Scope)
		}
		return &caller{op: Operator{Subject: p.Subject, Client: p.Client, Scopes: p.Scopes}}, nil
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	s, ok := c.sessions.get(ck.Value)
	if !ok {
		return nil, nil
	}
	return &caller{op: s.op, sessionID: ck.Value, csrf: s.csrf}, nil
}

// tokenRefusal is an RFC 6750 refusal naming the console's resource
// metadata, as the MCP endpoint's are.
func (c *Console) tokenRefusal(status int, code, msg string) *refusal {
	ch := `Bearer error="` + code + `", error_description="` + strings.ReplaceAll(msg, `"`, "'") + `"`
	if code == "insufficient_scope" {
		ch += `, scope="` + c.cfg.Scope + `"`
	}
	ch += `, resource_metadata="` + policy.MetadataURL(c.cfg.Resource) + `"`
	return &refusal{status: status, message: msg, challenge: ch}
}

// checkChange refuses a state-changing request made with the session
// cookie that lacks the session's CSRF token (header or form field) or
// that the browser says came from another site. Bearer requests carry no
// ambient credential and need no token.
func (c *Console) checkChange(r *http.Request, who *caller) *refusal {
	if who.sessionID == "" {
		return nil
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return &refusal{status: http.StatusForbidden, message: "refused: the request came from another site"}
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !c.sameOrigin(r, o) {
		return &refusal{status: http.StatusForbidden, message: "refused: the request came from another origin"}
	}
	token := r.Header.Get(CSRFHeader)
	if token == "" {
		token = r.PostFormValue(CSRFField)
	}
	if !equalSecret(token, who.csrf) {
		return &refusal{status: http.StatusForbidden, message: "refused: missing or wrong CSRF token"}
	}
	return nil
}

// sameOrigin reports whether origin is the console's (its resource URL's)
// or the one the request was sent to.
func (c *Console) sameOrigin(r *http.Request, origin string) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u, err := url.Parse(c.cfg.Resource)
	return origin == scheme+"://"+r.Host || (err == nil && origin == u.Scheme+"://"+u.Host)
}

func isChange(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

type callerKey struct{}

func callerOf(ctx context.Context) *caller {
	who, _ := ctx.Value(callerKey{}).(*caller)
	return who
}

// admit authenticates r and checks a change's CSRF token; without
// credentials the refusal is none (nil: the caller decides). A refusal is
// logged and its challenge set.
func (c *Console) admit(w http.ResponseWriter, r *http.Request, none func() *refusal) (*caller, *refusal) {
	who, ref := c.authenticate(r)
	if ref == nil && who == nil && none != nil {
		ref = none()
	}
	if ref == nil && who != nil && isChange(r) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		ref = c.checkChange(r, who)
	}
	if ref != nil {
		c.logger.Printf("refused %s %s: %s", r.Method, r.URL.Path, ref.message)
		if ref.challenge != "" {
			w.Header().Set("WWW-Authenticate", ref.challenge)
		}
	}
	return who, ref
}

// page wraps a page handler: a browser without a session is sent to sign
// in (a GET) or refused (a change); refusals are pages.
func (c *Console) page(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var none func() *refusal
		if r.Method != http.MethodGet {
			none = func() *refusal { return &refusal{status: http.StatusUnauthorized, message: "sign in first"} }
		}
		who, ref := c.admit(w, r, none)
		switch {
		case ref != nil:
			c.renderError(w, r, ref.status, ref.message)
		case who == nil:
			http.Redirect(w, r, LoginPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		default:
			h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, who)))
		}
	})
}

// api wraps a JSON handler: no credentials is 401 with a challenge;
// refusals are JSON.
func (c *Console) api(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ref := c.admit(w, r, func() *refusal {
			return c.tokenRefusal(http.StatusUnauthorized, "invalid_request", "a bearer token of the console audience or a session is required")
		})
		if ref != nil {
			writeJSON(w, ref.status, map[string]string{"error": ref.message})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, who)))
	})
}

// errStatus maps a backend error to an HTTP status.
func errStatus(err error) int {
	switch {
	case errors.Is(err, ErrReadOnly), errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
