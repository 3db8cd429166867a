package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/authserver"
)

func TestTokenEndpoint(t *testing.T) {
	special := authserver.Client{ID: "odd-client", Secret: "s3cr:t+/= %", Scopes: []string{"blog:read"}}
	s, ts := startServer(t, authserver.Config{Clients: append(authserver.DemoClients(), special)})
	demo := [2]string{"demo-agent", "demo-secret"}
	cc := "client_credentials"

	tests := []struct {
		name string
		call tokenCall
		// want: status and, for errors, the OAuth error code.
		status int
		code   string
		// for successes: granted scope, intent claim and sub.
		scope  string
		intent string
		sub    string
	}{
		{name: "basic auth, no scope: all allowed", call: tokenCall{basic: demo, form: form("grant_type", cc)},
			status: 200, scope: "blog:read blog:write", sub: "demo-agent"},
		{name: "post auth", call: tokenCall{form: form("grant_type", cc, "client_id", "demo-agent", "client_secret", "demo-secret")},
			status: 200, scope: "blog:read blog:write", sub: "demo-agent"},
		{name: "basic auth with form-urlencoded secret", call: tokenCall{basic: [2]string{special.ID, special.Secret}, form: form("grant_type", cc)},
			status: 200, scope: "blog:read", sub: "odd-client"},
		{name: "basic auth with matching client_id in body", call: tokenCall{basic: demo, form: form("grant_type", cc, "client_id", "demo-agent")},
			status: 200, scope: "blog:read blog:write", sub: "demo-agent"},
		{name: "narrowed scope", call: tokenCall{basic: demo, form: form("grant_type", cc, "scope", "blog:read")},
			status: 200, scope: "blog:read", sub: "demo-agent"},
		{name: "repeated scope token collapses", call: tokenCall{basic: demo, form: form("grant_type", cc, "scope", "blog:write  blog:read blog:write")},
			status: 200, scope: "blog:write blog:read", sub: "demo-agent"},
		{name: "admin may have blog:admin", call: tokenCall{basic: [2]string{"admin-agent", "admin-secret"}, form: form("grant_type", cc, "scope", "blog:admin")},
			status: 200, scope: "blog:admin", sub: "admin-agent"},
		{name: "intent becomes a claim", call: tokenCall{basic: demo, form: form("grant_type", cc, "intent", "msg-42: list my posts")},
			status: 200, scope: "blog:read blog:write", intent: "msg-42: list my posts", sub: "demo-agent"},
		{name: "intent of exactly 128 characters", call: tokenCall{basic: demo, form: form("grant_type", cc, "intent", strings.Repeat("i", 128))},
			status: 200, scope: "blog:read blog:write", intent: strings.Repeat("i", 128), sub: "demo-agent"},
		{name: "matching resource", call: tokenCall{basic: demo, form: form("grant_type", cc, "resource", testAudience)},
			status: 200, scope: "blog:read blog:write", sub: "demo-agent"},

		{name: "bad secret", call: tokenCall{basic: [2]string{"demo-agent", "wrong"}, form: form("grant_type", cc)},
			status: 401, code: authserver.CodeInvalidClient},
		{name: "bad secret, post auth", call: tokenCall{form: form("grant_type", cc, "client_id", "demo-agent", "client_secret", "demo-secret ")},
			status: 401, code: authserver.CodeInvalidClient},
		{name: "unknown client", call: tokenCall{basic: [2]string{"nobody", "demo-secret"}, form: form("grant_type", cc)},
			status: 401, code: authserver.CodeInvalidClient},
		{name: "no client authentication", call: tokenCall{form: form("grant_type", cc)},
			status: 401, code: authserver.CodeInvalidClient},
		{name: "bearer instead of basic", call: tokenCall{form: form("grant_type", cc), header: map[string]string{"Authorization": "Bearer x"}},
			status: 401, code: authserver.CodeInvalidClient},
		{name: "secret in the query is not read", call: tokenCall{form: form("grant_type", cc), query: "client_id=demo-agent&client_secret=demo-secret"},
			status: 401, code: authserver.CodeInvalidClient},
		{name: "two authentication methods", call: tokenCall{basic: demo, form: form("grant_type", cc, "client_secret", "demo-secret")},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "body client_id differs from basic", call: tokenCall{basic: demo, form: form("grant_type", cc, "client_id", "admin-agent")},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "disallowed scope", call: tokenCall{basic: demo, form: form("grant_type", cc, "scope", "blog:read blog:admin")},
			status: 400, code: authserver.CodeInvalidScope},
		{name: "malformed scope", call: tokenCall{basic: demo, form: form("grant_type", cc, "scope", `blog:"read"`)},
			status: 400, code: authserver.CodeInvalidScope},
		{name: "bad grant type", call: tokenCall{basic: demo, form: form("grant_type", "password", "username", "x")},
			status: 400, code: authserver.CodeUnsupportedGrantType},
		{name: "missing grant type", call: tokenCall{basic: demo, form: form("scope", "blog:read")},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "resource mismatch", call: tokenCall{basic: demo, form: form("grant_type", cc, "resource", "http://evil.example/mcp")},
			status: 400, code: authserver.CodeInvalidTarget},
		{name: "second resource mismatches", call: tokenCall{basic: demo, form: form("grant_type", cc, "resource", testAudience, "resource", "http://127.0.0.1:8081/mcp")},
			status: 400, code: authserver.CodeInvalidTarget},
		{name: "intent too long", call: tokenCall{basic: demo, form: form("grant_type", cc, "intent", strings.Repeat("i", 129))},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "intent not printable", call: tokenCall{basic: demo, form: form("grant_type", cc, "intent", "line\nbreak")},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "intent not ASCII", call: tokenCall{basic: demo, form: form("grant_type", cc, "intent", "caf\u00e9")},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "repeated parameter", call: tokenCall{basic: demo, form: form("grant_type", cc, "scope", "blog:read", "scope", "blog:write")},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "JSON body", call: tokenCall{basic: demo, contentType: "application/json", form: form("grant_type", cc)},
			status: 400, code: authserver.CodeInvalidRequest},
		{name: "GET", call: tokenCall{method: http.MethodGet, basic: demo},
			status: 405, code: authserver.CodeInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			got := callToken(t, ts, tc.call)
			if got.status != tc.status {
				t.Fatalf("status = %d, want %d; body %v", got.status, tc.status, got.body)
			}
			if cc := got.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.code != "" {
				if got.str("error") != tc.code || got.str("error_description") == "" {
					t.Errorf("error = %q (%q), want %q with a description", got.str("error"), got.str("error_description"), tc.code)
				}
				if _, leaked := got.body["access_token"]; leaked {
					t.Error("error response carries an access_token")
				}
				if wa := got.header.Get("WWW-Authenticate"); (tc.status == 401) != strings.HasPrefix(wa, "Basic ") {
					t.Errorf("WWW-Authenticate = %q for status %d", wa, tc.status)
				}
				if tc.status == 405 && got.header.Get("Allow") != http.MethodPost {
					t.Errorf("Allow = %q", got.header.Get("Allow"))
				}
				return
			}
			checkIssued(t, s, ts, got, tc.sub, tc.scope, tc.intent, before)
		})
	}
}

func checkIssued(t *testing.T, s *authserver.Server, ts *httptest.Server, got tokenReply, sub, scope, intent string, before time.Time) {
	t.Helper()
	if got.str("token_type") != "Bearer" || got.body["expires_in"] != float64(300) || got.str("scope") != scope {
		t.Errorf("response = %v; want Bearer, expires_in 300, scope %q", got.body, scope)
	}
	tok, _ := parseToken(t, ts, got.str("access_token"))
	gotSub, _ := tok.Subject()
	iss, _ := tok.Issuer()
	aud, _ := tok.Audience()
	iat, _ := tok.IssuedAt()
	if gotSub != sub || claim(tok, "client_id") != sub || iss != s.Issuer() || len(aud) != 1 || aud[0] != testAudience {
		t.Errorf("sub %q client_id %q iss %q aud %v; want sub/client_id %q", gotSub, claim(tok, "client_id"), iss, aud, sub)
	}
	if claim(tok, "scope") != scope || claim(tok, "intent") != intent {
		t.Errorf("scope claim %q intent %q; want %q, %q", claim(tok, "scope"), claim(tok, "intent"), scope, intent)
	}
	if iat.Before(before) {
		t.Errorf("iat %s before the request (%s)", iat, before)
	}
}

func TestIssuedTokenClaims(t *testing.T) {
	s, ts := startServer(t, authserver.Config{TokenLifetime: 90 * time.Second})
	before := time.Now().Truncate(time.Second)
	got := callToken(t, ts, tokenCall{basic: [2]string{"demo-agent", "demo-secret"},
		form: form("grant_type", "client_credentials", "scope", "blog:read", "intent", "msg-7")})
	if got.status != 200 {
		t.Fatalf("status %d: %v", got.status, got.body)
	}
	if got.body["expires_in"] != float64(90) {
		t.Errorf("expires_in = %v, want 90", got.body["expires_in"])
	}
	tok, hdrs := parseToken(t, ts, got.str("access_token"))
	if kid, _ := hdrs.KeyID(); kid != s.KeyID() || kid == "" {
		t.Errorf("kid = %q, want %q", kid, s.KeyID())
	}
	if typ, _ := hdrs.Type(); typ != "at+jwt" {
		t.Errorf("typ = %q, want at+jwt", typ)
	}
	if alg, _ := hdrs.Algorithm(); alg.String() != "EdDSA" {
		t.Errorf("alg = %s, want EdDSA", alg)
	}
	iss, _ := tok.Issuer()
	sub, _ := tok.Subject()
	aud, _ := tok.Audience()
	jti, _ := tok.JwtID()
	iat, _ := tok.IssuedAt()
	nbf, _ := tok.NotBefore()
	exp, _ := tok.Expiration()
	if iss != s.Issuer() || sub != "demo-agent" || len(aud) != 1 || aud[0] != testAudience || len(jti) < 16 {
		t.Errorf("iss %q sub %q aud %v jti %q", iss, sub, aud, jti)
	}
	if claim(tok, "client_id") != "demo-agent" || claim(tok, "scope") != "blog:read" || claim(tok, "intent") != "msg-7" {
		t.Errorf("client_id %q scope %q intent %q", claim(tok, "client_id"), claim(tok, "scope"), claim(tok, "intent"))
	}
	if iat.Before(before) || !nbf.Equal(iat) || exp.Sub(iat) != 90*time.Second {
		t.Errorf("iat %s nbf %s exp %s (requested after %s)", iat, nbf, exp, before)
	}

	// Two tokens never share a jti; no intent means no intent claim.
	again := callToken(t, ts, tokenCall{basic: [2]string{"demo-agent", "demo-secret"}, form: form("grant_type", "client_credentials")})
	tok2, _ := parseToken(t, ts, again.str("access_token"))
	if jti2, _ := tok2.JwtID(); jti2 == jti {
		t.Error("jti reused")
	}
	if claim(tok2, "intent") != "" || tok2.Has("intent") {
		t.Error("intent claim present without an intent parameter")
	}
}
