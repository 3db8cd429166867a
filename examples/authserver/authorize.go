package authserver

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Authorization request limits: a consent page may be answered within
// pendingTTL, a code redeemed within codeTTL; at most maxPending and
// maxCodes of each are held.
const (
	pendingTTL  = 10 * time.Minute
	maxPending  = 1000
	codeTTL     = time.Minute
	maxCodes    = 1000
	maxStateLen = 1024
)

// SessionCookie binds a consent form to the browser that asked for it.
const SessionCookie = "authserver_session"

// pkceChallengeRE is a base64url SHA-256 (RFC 7636 §4.2, S256).
var pkceChallengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// pkceVerifierRE is RFC 7636 §4.1: 43 to 128 unreserved characters.
var pkceVerifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// authzRequest is a validated authorization request: what a consent
// approves and an authorization code carries to the token endpoint.
type authzRequest struct {
	client      publicClient
	redirectURI string
	state       string
	challenge   string // S256
	scopes      []string
	resource    string // "" when the request named none
}

// pendingConsent is a consent page waiting for its answer.
type pendingConsent struct {
	req     authzRequest
	session string // the SessionCookie value of the browser it was shown to
	csrf    string // the form's csrf_token
}

// serveAuthorize is the authorization endpoint (OAuth 2.1 §4.1.1, GET). A
// request whose client or redirect URI cannot be trusted gets an error page;
// any other error goes back to the redirect URI (§4.1.2.1). A valid request
// gets the consent page.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k, v := range q {
		if len(v) > 1 {
			s.errorPage(w, r, http.StatusBadRequest, fmt.Sprintf("The parameter %q is repeated.", k))
			return
		}
	}
	client, err := s.lookupPublicClient(r.Context(), q.Get("client_id"))
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "authorization refused", slog.String("client_id", q.Get("client_id")), slog.String("error", err.Error()))
		s.errorPage(w, r, http.StatusBadRequest, "The client is not known here: "+err.Error())
		return
	}
	req := authzRequest{client: client, redirectURI: q.Get("redirect_uri"), state: q.Get("state")}
	if req.redirectURI == "" || !client.allowsRedirect(req.redirectURI) {
		s.errorPage(w, r, http.StatusBadRequest, fmt.Sprintf("The redirect_uri %q is not registered for this client.", req.redirectURI))
		return
	}
	if oe := s.checkAuthzRequest(&req, q); oe != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "authorization refused", slog.String("client_id", client.id),
			slog.String("error", oe.Code), slog.String("error_description", oe.Description))
		s.redirectError(w, r, req, oe)
		return
	}
	s.showConsent(w, r, req)
}

// lookupPublicClient finds a dynamically registered client, or fetches the
// Client ID Metadata Document of a URL client_id.
func (s *Server) lookupPublicClient(ctx context.Context, id string) (publicClient, error) {
	if c, ok := s.registered.get(id); ok {
		return c, nil
	}
	if documentClientID(id) {
		return s.documentClient(ctx, id)
	}
	if _, ok := s.clients[id]; ok {
		return publicClient{}, fmt.Errorf("%s is a confidential client; it uses the client_credentials grant", id)
	}
	if id == "" {
		return publicClient{}, fmt.Errorf("client_id is required")
	}
	return publicClient{}, fmt.Errorf("client_id %q is neither registered (RFC 7591) nor an https URL of a client metadata document", id)
}

// checkAuthzRequest checks what may be reported to the client: response
// type, state, PKCE (S256 only), resource and scope; it fills req.
func (s *Server) checkAuthzRequest(req *authzRequest, q url.Values) *oauthError {
	if len(req.state) > maxStateLen {
		req.state = ""
		return invalidRequest(fmt.Sprintf("state is longer than %d bytes", maxStateLen))
	}
	if rt := q.Get("response_type"); rt != ResponseTypeCode {
		return &oauthError{status: http.StatusBadRequest, Code: CodeUnsupportedResponseType,
			Description: fmt.Sprintf("response_type %q is not supported (code only)", rt)}
	}
	if m := q.Get("code_challenge_method"); m != PKCEMethodS256 {
		return invalidRequest(fmt.Sprintf("PKCE is required with code_challenge_method S256 (got %q)", m))
	}
	if req.challenge = q.Get("code_challenge"); !pkceChallengeRE.MatchString(req.challenge) {
		return invalidRequest("code_challenge must be 43 base64url characters (S256)")
	}
	_, only, ok := s.resourceScopes(q.Get("resource"))
	if !ok {
		return invalidTarget(fmt.Sprintf("resource %q is not served by this issuer (want %q)", q.Get("resource"), s.cfg.Audience))
	}
	req.resource = q.Get("resource")
	grantable := s.userScopes
	if only != nil {
		grantable = only
	}
	var oe *oauthError
	req.scopes, oe = pickScopes(strings.Fields(q.Get("scope")), grantable,
		"to public clients (the user may grant "+strings.Join(grantable, " ")+")")
	return oe
}

// showConsent stores the pending request and renders the consent page,
// setting the browser's session cookie when it has none.
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, req authzRequest) {
	session := ""
	if c, err := r.Cookie(SessionCookie); err == nil && len(c.Value) >= 22 && len(c.Value) <= 64 {
		session = c.Value
	}
	id, err1 := randomID("")
	csrf, err2 := randomID("")
	if session == "" {
		var err error
		session, err = randomID("")
		err1 = firstErr(err1, err)
	}
	if err := firstErr(err1, err2); err != nil {
		s.errorPage(w, r, http.StatusInternalServerError, "Could not start the consent.")
		return
	}
	s.pending.put(id, pendingConsent{req: req, session: session, csrf: csrf}, pendingTTL)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: session, Path: AuthorizePath, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: strings.HasPrefix(s.cfg.Issuer, "https:")})
	s.renderConsent(w, r, consentView{
		ClientName:  req.client.name,
		ClientID:    req.client.id,
		Verified:    req.client.fromDocument,
		RedirectURI: req.redirectURI,
		Resource:    cmp.Or(req.resource, s.cfg.Audience),
		Scopes:      req.scopes,
		User:        s.cfg.User,
		Action:      ConsentPath,
		RequestID:   id,
		CSRFToken:   csrf,
	})
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// serveConsent takes the consent form's answer (POST). The pending request
// is used once; the form's csrf_token and the browser's session cookie must
// both match it, and a browser that says the form came from another site
// (Origin, Sec-Fetch-Site) is refused. Approval redirects with a code,
// denial with access_denied (303, RFC 9700 §4.12).
func (s *Server) serveConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Malformed form.")
		return
	}
	if !s.sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, "The form was sent from another site.")
		return
	}
	form := r.PostForm
	p, ok := s.pending.take(form.Get("request_id"))
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "This consent has expired or was already answered; start again from the client.")
		return
	}
	cookie, err := r.Cookie(SessionCookie)
	if err != nil || !equalSecret(cookie.Value, p.session) || !equalSecret(form.Get("csrf_token"), p.csrf) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "consent refused: CSRF check failed", slog.String("client_id", p.req.client.id))
		s.errorPage(w, r, http.StatusForbidden, "The consent form does not belong to this browser session (CSRF check failed).")
		return
	}
	switch form.Get("decision") {
	case "approve":
		code, err := randomID("")
		if err != nil {
			s.redirectError(w, r, p.req, serverError("could not make a code"))
			return
		}
		s.codes.put(code, p.req, codeTTL)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "consent approved", slog.String("client_id", p.req.client.id),
			slog.String("scope", strings.Join(p.req.scopes, " ")), slog.String("sub", s.cfg.User))
		s.redirect(w, r, p.req, url.Values{"code": {code}})
	case "deny":
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "consent denied", slog.String("client_id", p.req.client.id))
		s.redirectError(w, r, p.req, &oauthError{Code: CodeAccessDenied, Description: "the user denied the request"})
	default:
		s.errorPage(w, r, http.StatusBadRequest, "Choose Allow or Deny.")
	}
}

// sameOrigin accepts a form POST unless the browser says it came from
// elsewhere: Sec-Fetch-Site other than same-origin or none, or an Origin
// other than the issuer's or the one the request was sent to. An opaque
// Origin ("null", which a strict referrer policy or a privacy setting can
// produce) says nothing and is left to the session cookie and the CSRF
// token.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	iss, _ := url.Parse(s.cfg.Issuer)
	return origin == iss.Scheme+"://"+iss.Host || origin == scheme+"://"+r.Host
}

// equalSecret compares in constant time; empty never matches.
func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// redirect sends the browser back to the client with params, state and iss
// (RFC 9207).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, req authzRequest, params url.Values) {
	u, err := url.Parse(req.redirectURI)
	if err != nil { // checked at registration; never here
		s.errorPage(w, r, http.StatusBadRequest, "Bad redirect URI.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	q.Set("iss", s.cfg.Issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req authzRequest, oe *oauthError) {
	s.redirect(w, r, req, url.Values{"error": {oe.Code}, "error_description": {oe.Description}})
}

// verifyPKCE reports whether verifier hashes to the S256 challenge.
func verifyPKCE(verifier, challenge string) bool {
	if !pkceVerifierRE.MatchString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return equalSecret(base64.RawURLEncoding.EncodeToString(sum[:]), challenge)
}
