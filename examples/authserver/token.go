package authserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Token request limits.
const (
	// MaxIntentLength bounds the intent parameter (bytes of printable ASCII).
	MaxIntentLength = 128
	// maxRequestBody bounds a token request's form body.
	maxRequestBody = 16 << 10
)

// Token claims beyond the registered ones.
const (
	ClaimClientID = "client_id"
	ClaimScope    = "scope"
	ClaimIntent   = "intent"
)

// TokenResponse is a successful token endpoint answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// dummyDigest is compared against when the client is unknown, so an unknown
// id costs the same as a wrong secret.
var dummyDigest = sha256.Sum256([]byte("authserver: no such client"))

// tokenRequest is a validated client_credentials request.
type tokenRequest struct {
	client registeredClient
	scopes []string
	intent string
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	req, oe := s.parseTokenRequest(w, r)
	if oe != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "token request refused",
			slog.String("client_id", req.client.ID), slog.String("error", oe.Code), slog.String("error_description", oe.Description))
		writeError(w, oe)
		return
	}
	res, err := s.issue(req)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "token signing failed", slog.String("client_id", req.client.ID), slog.String("error", err.Error()))
		writeError(w, serverError("could not sign the token"))
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "token issued",
		slog.String("client_id", req.client.ID), slog.String("scope", res.Scope), slog.String("intent", req.intent))
	writeJSON(w, http.StatusOK, res)
}

// parseTokenRequest checks, in order: method and content type, the form,
// client authentication, grant type, resource, scope and intent. The
// returned request's client is set as soon as it is authenticated.
func (s *Server) parseTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, *oauthError) {
	var req tokenRequest
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oe := invalidRequest("the token endpoint accepts POST only")
		oe.status = http.StatusMethodNotAllowed
		return req, oe
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return req, invalidRequest("content type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		return req, invalidRequest("malformed form body")
	}
	// Only the body counts: parameters (above all secrets) in the URL are
	// not read.
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 && k != "resource" {
			return req, invalidRequest(fmt.Sprintf("parameter %q is repeated", k))
		}
	}
	c, oe := s.authenticate(r, form)
	if oe != nil {
		return req, oe
	}
	req.client = c
	switch gt := form.Get("grant_type"); gt {
	case "":
		return req, invalidRequest("grant_type is required")
	case GrantClientCredentials:
	default:
		return req, unsupportedGrant(fmt.Sprintf("grant_type %q is not supported (only %s)", gt, GrantClientCredentials))
	}
	for _, res := range form["resource"] {
		if res != s.cfg.Audience {
			return req, invalidTarget(fmt.Sprintf("resource %q is not served by this issuer (want %q)", res, s.cfg.Audience))
		}
	}
	if req.scopes, oe = grantScopes(c, form); oe != nil {
		return req, oe
	}
	req.intent = form.Get("intent")
	if !validIntent(req.intent) {
		return req, invalidRequest(fmt.Sprintf("intent must be at most %d printable ASCII characters", MaxIntentLength))
	}
	return req, nil
}

// authenticate checks client_secret_basic or client_secret_post (exactly
// one) and compares the secret in constant time.
func (s *Server) authenticate(r *http.Request, form url.Values) (registeredClient, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: both are form-urlencoded before Base64.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err := errors.Join(err1, err2); err != nil {
			return registeredClient{}, invalidClient("malformed Basic credentials")
		}
		if form.Has("client_secret") {
			return registeredClient{}, invalidRequest("use one client authentication method, not Basic and client_secret")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return registeredClient{}, invalidRequest("client_id differs from the Basic credentials")
		}
	} else if r.Header.Get("Authorization") != "" {
		return registeredClient{}, invalidClient("unsupported Authorization scheme (use Basic)")
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
		if id == "" || secret == "" {
			return registeredClient{}, invalidClient("client authentication required (client_secret_basic or client_secret_post)")
		}
	}
	c, known := s.clients[id]
	want := dummyDigest
	if known {
		want = c.digest
	}
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !known {
		return registeredClient{}, invalidClient("client authentication failed")
	}
	return c, nil
}

// grantScopes returns the requested scopes if the client may have them all,
// or all of the client's scopes when none are asked for.
func grantScopes(c registeredClient, form url.Values) ([]string, *oauthError) {
	requested := strings.Fields(form.Get("scope"))
	if len(requested) == 0 {
		return c.Scopes, nil
	}
	seen := make(map[string]bool, len(requested))
	var out []string
	for _, sc := range requested {
		if !validScopeToken(sc) {
			return nil, invalidScope(fmt.Sprintf("malformed scope %q", sc))
		}
		if !c.allow[sc] {
			return nil, invalidScope(fmt.Sprintf("scope %q is not allowed for client %s", sc, c.ID))
		}
		if !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	return out, nil
}

// validIntent accepts "" (no claim) or up to MaxIntentLength printable
// ASCII characters (spaces included).
func validIntent(s string) bool {
	if len(s) > MaxIntentLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// issue signs an access token for req.
func (s *Server) issue(req tokenRequest) (TokenResponse, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return TokenResponse{}, err
	}
	now := s.now().Truncate(time.Second)
	scope := strings.Join(req.scopes, " ")
	b := jwt.NewBuilder().
		Issuer(s.cfg.Issuer).
		Subject(req.client.ID).
		Audience([]string{s.cfg.Audience}).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(s.cfg.TokenLifetime)).
		JwtID(base64.RawURLEncoding.EncodeToString(jti[:])).
		Claim(ClaimClientID, req.client.ID)
	if scope != "" {
		b = b.Claim(ClaimScope, scope)
	}
	if req.intent != "" {
		b = b.Claim(ClaimIntent, req.intent)
	}
	tok, err := b.Build()
	if err != nil {
		return TokenResponse{}, fmt.Errorf("authserver: build token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(s.signer.alg, s.signer.key, jws.WithProtectedHeaders(s.signer.hdrs)))
	if err != nil {
		return TokenResponse{}, fmt.Errorf("authserver: sign token: %w", err)
	}
	return TokenResponse{
		AccessToken: string(signed),
		TokenType:   "Bearer",
		ExpiresIn:   int(s.cfg.TokenLifetime.Seconds()),
		Scope:       scope,
	}, nil
}
