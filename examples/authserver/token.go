package authserver

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Token request limits.
const (
	// MaxIntentLength bounds the intent parameter (bytes of printable ASCII).
	MaxIntentLength = 128
	// maxRequestBody bounds a token, registration or consent request body.
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

// tokenRequest is a validated token request: who the token is for.
type tokenRequest struct {
	audience string // the aud: Config.Audience or one of Config.Resources
	clientID string
	subject  string // the client itself (client credentials) or the user (authorization code)
	scopes   []string
	intent   string
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	req, oe := s.parseTokenRequest(w, r)
	if oe != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "token request refused",
			slog.String("client_id", req.clientID), slog.String("error", oe.Code), slog.String("error_description", oe.Description))
		writeError(w, oe)
		return
	}
	res, err := s.issue(req)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "token signing failed", slog.String("client_id", req.clientID), slog.String("error", err.Error()))
		writeError(w, serverError("could not sign the token"))
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "token issued", slog.String("client_id", req.clientID),
		slog.String("sub", req.subject), slog.String("scope", res.Scope), slog.String("intent", req.intent))
	writeJSON(w, http.StatusOK, res)
}

// parseTokenRequest checks the method, the content type and the form, then
// hands over to the grant: authorization_code for public clients
// ([Server.codeGrant]), anything else after confidential client
// authentication ([Server.clientGrant]). The returned request's clientID is
// set as soon as the client is known, for the log.
func (s *Server) parseTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, *oauthError) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oe := invalidRequest("the token endpoint accepts POST only")
		oe.status = http.StatusMethodNotAllowed
		return tokenRequest{}, oe
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return tokenRequest{}, invalidRequest("content type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		return tokenRequest{}, invalidRequest("malformed form body")
	}
	// Only the body counts: parameters (above all secrets) in the URL are
	// not read.
	form := r.PostForm
	for k, v := range form {
		if len(v) > 1 && k != "resource" {
			return tokenRequest{}, invalidRequest(fmt.Sprintf("parameter %q is repeated", k))
		}
	}
	if form.Get("grant_type") == GrantAuthorizationCode {
		return s.codeGrant(r, form)
	}
	return s.clientGrant(r, form)
}

// checkResource accepts the resource parameter (RFC 8707) when it names a
// resource this issuer serves (at most one); want, when set, is the one the
// authorization request named. It returns the token's aud and the only
// scopes it may carry (nil: no further limit).
func (s *Server) checkResource(form url.Values, want string) (string, []string, *oauthError) {
	res := want
	if got := form["resource"]; len(got) > 0 {
		res = got[0]
		for _, r := range got {
			if r != res || (want != "" && r != want) {
				return "", nil, invalidTarget(fmt.Sprintf("resource %q is not the one the request names", r))
			}
		}
	}
	aud, only, ok := s.resourceScopes(res)
	if !ok {
		return "", nil, invalidTarget(fmt.Sprintf("resource %q is not served by this issuer (want %q)", res, s.cfg.Audience))
	}
	return aud, only, nil
}

// codeGrant redeems an authorization code (OAuth 2.1 §4.1.3) for a public
// client: client_id and no client authentication, the code (single use,
// issued to that client), the same redirect_uri, and the PKCE verifier
// whose S256 hash is the request's challenge (RFC 7636 §4.6).
func (s *Server) codeGrant(r *http.Request, form url.Values) (tokenRequest, *oauthError) {
	req := tokenRequest{clientID: form.Get("client_id")}
	code := form.Get("code")
	if code == "" {
		return req, invalidRequest("code is required")
	}
	// Taken first, so a code is tried once whatever the outcome.
	az, ok := s.codes.take(code)
	switch {
	case r.Header.Get("Authorization") != "" || form.Has("client_secret"):
		return req, invalidClient("a public client does not authenticate (token_endpoint_auth_method none)")
	case req.clientID == "":
		return req, invalidClient("client_id is required")
	case form.Get("code_verifier") == "":
		return req, invalidRequest("code_verifier is required (PKCE)")
	case !ok:
		return req, invalidGrant("the code is unknown, expired or already used")
	case az.client.id != req.clientID:
		return req, invalidGrant("the code was issued to another client")
	case form.Get("redirect_uri") != az.redirectURI:
		return req, invalidGrant("redirect_uri differs from the authorization request's")
	case !verifyPKCE(form.Get("code_verifier"), az.challenge):
		return req, invalidGrant("code_verifier does not match the code_challenge")
	}
	aud, _, oe := s.checkResource(form, az.resource)
	if oe != nil {
		return req, oe
	}
	req.audience, req.subject, req.scopes = aud, s.cfg.User, az.scopes
	return req, nil
}

// pickScopes returns the requested scopes, once each, if all are allowed;
// all of allowed when none are requested. why ends the invalid_scope
// description ("scope X is not allowed <why>").
func pickScopes(requested, allowed []string, why string) ([]string, *oauthError) {
	if len(requested) == 0 {
		return slices.Clone(allowed), nil
	}
	var out []string
	for _, sc := range requested {
		if !validScopeToken(sc) {
			return nil, invalidScope(fmt.Sprintf("malformed scope %q", sc))
		}
		if !slices.Contains(allowed, sc) {
			return nil, invalidScope(fmt.Sprintf("scope %q is not allowed %s", sc, why))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
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
		Subject(req.subject).
		Audience([]string{cmp.Or(req.audience, s.cfg.Audience)}).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(s.cfg.TokenLifetime)).
		JwtID(base64.RawURLEncoding.EncodeToString(jti[:])).
		Claim(ClaimClientID, req.clientID)
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
