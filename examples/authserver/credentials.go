package authserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// dummyDigest is compared against when the client is unknown, so an unknown
// id costs the same as a wrong secret.
var dummyDigest = sha256.Sum256([]byte("authserver: no such client"))

// clientGrant checks, in order: confidential client authentication, grant
// type (client_credentials only), resource, scope and intent.
func (s *Server) clientGrant(r *http.Request, form url.Values) (tokenRequest, *oauthError) {
	var req tokenRequest
	c, oe := s.authenticate(r, form)
	if oe != nil {
		return req, oe
	}
	req.clientID, req.subject = c.ID, c.ID
	switch gt := form.Get("grant_type"); gt {
	case "":
		return req, invalidRequest("grant_type is required")
	case GrantClientCredentials:
	default:
		return req, unsupportedGrant(fmt.Sprintf("grant_type %q is not supported (%s, or %s for public clients)", gt, GrantClientCredentials, GrantAuthorizationCode))
	}
	aud, only, oe := s.checkResource(form, "")
	if oe != nil {
		return req, oe
	}
	allowed, why := c.Scopes, "for client "+c.ID
	if only != nil {
		allowed = slices.DeleteFunc(slices.Clone(c.Scopes), func(sc string) bool { return !slices.Contains(only, sc) })
		why += " and resource " + aud
	}
	req.audience = aud
	if req.scopes, oe = pickScopes(strings.Fields(form.Get("scope")), allowed, why); oe != nil {
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
