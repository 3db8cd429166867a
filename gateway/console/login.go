package console

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tracegate/tracegate/gateway/policy"
)

// login is a sign-in in progress: what the callback must see again.
type login struct {
	state    string
	verifier string // PKCE code_verifier (RFC 7636 §4.1)
	next     string // where to go once signed in (a console path)
}

// redirectURI is where the issuer sends the browser back.
func (c *Console) redirectURI() string { return c.cfg.Resource + CallbackPath[len(Path):] }

// serveClientMetadata is the console's Client ID Metadata Document: a
// public client (no secret) using the authorization code flow with PKCE.
func (c *Console) serveClientMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"client_id":                  c.cfg.ClientID,
		"client_name":                "tracegate console",
		"redirect_uris":              []string{c.redirectURI()},
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "none",
		"scope":                      c.cfg.Scope,
	})
}

// metadata returns the issuer's RFC 8414 metadata, fetched once.
func (c *Console) metadata(ctx context.Context) (policy.AuthServerMetadata, error) {
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	if c.meta != nil {
		return *c.meta, nil
	}
	if c.issuer == "" {
		return policy.AuthServerMetadata{}, errors.New("console: no issuer to sign in with (auth.issuer)")
	}
	m, err := policy.DiscoverMetadata(ctx, c.http, c.issuer)
	if err != nil {
		return m, err
	}
	if m.AuthorizationEndpoint == "" || m.TokenEndpoint == "" {
		return m, fmt.Errorf("console: the issuer %s has no authorization or token endpoint", c.issuer)
	}
	c.meta = &m
	return m, nil
}

// serveLogin starts the authorization code flow (OAuth 2.1 §4.1) with PKCE
// S256 and the console's resource (RFC 8707): the transaction is kept
// server-side under a SameSite=Lax cookie, the browser goes to the issuer.
func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	m, err := c.metadata(r.Context())
	if err != nil {
		c.logger.Printf("sign-in: %v", err)
		c.renderError(w, r, http.StatusBadGateway, "The identity provider cannot be reached: "+err.Error())
		return
	}
	lg := login{state: randomToken(), verifier: randomToken(), next: safeNext(r.URL.Query().Get("next"))}
	id := c.logins.put(lg, loginTTL)
	http.SetCookie(w, &http.Cookie{Name: LoginCookie, Value: id, Path: Path, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.secure(r), MaxAge: int(loginTTL.Seconds())})
	sum := sha256.Sum256([]byte(lg.verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.cfg.ClientID},
		"redirect_uri":          {c.redirectURI()},
		"scope":                 {c.cfg.Scope},
		"state":                 {lg.state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"resource":              {c.cfg.Resource},
	}
	sep := "?"
	if strings.Contains(m.AuthorizationEndpoint, "?") {
		sep = "&"
	}
	http.Redirect(w, r, m.AuthorizationEndpoint+sep+q.Encode(), http.StatusSeeOther)
}

// serveCallback finishes the sign-in: the transaction of this browser, the
// same state, the issuer named by iss (RFC 9207) if any, then the code is
// redeemed with the PKCE verifier and the token verified as any console
// token (audience, issuer, operator scope). The session cookie is set and
// the browser continues from a page of the console itself, so the
// SameSite=Strict cookie goes with that first request.
func (c *Console) serveCallback(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: LoginCookie, Value: "", Path: Path, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.secure(r), MaxAge: -1})
	ck, err := r.Cookie(LoginCookie)
	if err != nil {
		c.renderError(w, r, http.StatusBadRequest, "This sign-in was not started in this browser (or its cookie expired); sign in again.")
		return
	}
	lg, ok := c.logins.take(ck.Value)
	q := r.URL.Query()
	switch {
	case !ok:
		c.renderError(w, r, http.StatusBadRequest, "This sign-in expired or was already used; sign in again.")
		return
	case !equalSecret(q.Get("state"), lg.state):
		c.renderError(w, r, http.StatusBadRequest, "The sign-in's state does not match; sign in again.")
		return
	case q.Get("iss") != "" && strings.TrimRight(q.Get("iss"), "/") != strings.TrimRight(c.issuer, "/"):
		c.renderError(w, r, http.StatusBadRequest, "The answer came from another issuer than "+c.issuer+".")
		return
	case q.Get("error") != "":
		c.renderError(w, r, http.StatusForbidden, "The identity provider refused the sign-in: "+q.Get("error")+" "+q.Get("error_description"))
		return
	case q.Get("code") == "":
		c.renderError(w, r, http.StatusBadRequest, "The identity provider sent no code.")
		return
	}
	token, err := c.redeem(r.Context(), q.Get("code"), lg.verifier)
	if err != nil {
		c.logger.Printf("sign-in: %v", err)
		c.renderError(w, r, http.StatusBadGateway, "The code could not be redeemed: "+err.Error())
		return
	}
	p, err := c.verifier.Verify(r.Context(), token)
	if err != nil {
		c.logger.Printf("sign-in: token refused: %v", err)
		c.renderError(w, r, http.StatusForbidden, "The token the identity provider issued is not valid for the console: "+err.Error())
		return
	}
	if !slices.Contains(p.Scopes, c.cfg.Scope) {
		c.logger.Printf("sign-in: %s (%s) lacks %s", p.Subject, p.Client, c.cfg.Scope)
		c.renderError(w, r, http.StatusForbidden, p.Subject+" may not use the console: the operator scope "+c.cfg.Scope+" was not granted.")
		return
	}
	s := session{op: Operator{Subject: p.Subject, Client: p.Client, Scopes: p.Scopes}, csrf: randomToken()}
	id := c.sessions.put(s, c.cfg.SessionTTL)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: Path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.secure(r), MaxAge: int(c.cfg.SessionTTL.Seconds())})
	c.logger.Printf("signed in: %s (client %s)", p.Subject, p.Client)
	c.render(w, r, http.StatusOK, "continue", view{Title: "Signed in", Data: lg.next})
}

// redeem exchanges an authorization code at the token endpoint (OAuth 2.1
// §4.1.3) as a public client, with the PKCE verifier and the resource.
func (c *Console) redeem(ctx context.Context, code, verifier string) (string, error) {
	m, err := c.metadata(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.redirectURI()},
		"client_id": {c.cfg.ClientID}, "code_verifier": {verifier}, "resource": {c.cfg.Resource},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("token endpoint: HTTP %d: %w", res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("token endpoint: HTTP %d: %s %s", res.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken, nil
}

// serveLogout ends the session (a POST with the CSRF token).
func (c *Console) serveLogout(w http.ResponseWriter, r *http.Request) {
	if who := callerOf(r.Context()); who != nil && who.sessionID != "" {
		c.sessions.remove(who.sessionID)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: Path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.secure(r), MaxAge: -1})
	http.Redirect(w, r, Path+"/signed-out", http.StatusSeeOther)
}

func (c *Console) serveSignedOut(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "signedout", view{Title: "Signed out"})
}

// secure tells whether cookies get the Secure attribute: under TLS, or
// when the console's URL is https (TLS ended by a proxy).
func (c *Console) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(c.cfg.Resource, "https:")
}

// safeNext keeps a post-sign-in destination only when it is a console
// path (no scheme, no host, no //, no backslash): never an open redirect.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") ||
		(u.Path != Path && !strings.HasPrefix(u.Path, Path+"/")) || strings.Contains(u.Path, "..") {
		return Path + "/tools"
	}
	return next
}
