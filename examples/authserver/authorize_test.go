package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/authserver"
)

// TestAuthorizationCodeFlow: a client registers itself (RFC 7591), the user
// approves it on the consent page, the code is redeemed with the PKCE
// verifier from another loopback port than the registered one (RFC 8252
// §7.3), and the token names the user, the client, the approved scope and
// the gateway as audience. The code works once.
func TestAuthorizationCodeFlow(t *testing.T) {
	s, ts := startServer(t, authserver.Config{})
	client := registerClient(t, ts, "http://127.0.0.1/callback")
	redirect := "http://127.0.0.1:53117/callback"
	b := newBrowser(t, ts)

	p := b.get(authzURL(ts, client, redirect, "scope", "blog:read", "resource", testAudience))
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Cache-Control"} {
		if p.header.Get(h) == "" {
			t.Errorf("consent page without %s", h)
		}
	}
	if !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP %q allows framing", p.header.Get("Content-Security-Policy"))
	}
	for _, want := range []string{`<html lang="en">`, "Test client", "blog:read", "demo-user", `<button type="submit" name="decision" value="approve">`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	before := time.Now().Truncate(time.Second)
	q := b.approve(ts, p)
	if q.Get("state") != "st-1" || q.Get("iss") != s.Issuer() || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("redirect query %v", q)
	}
	got := redeem(t, ts, client, q.Get("code"), redirect, testVerifier, "resource", testAudience)
	if got.status != 200 {
		t.Fatalf("token: %d %v", got.status, got.body)
	}
	tok, _ := parseToken(t, ts, got.str("access_token"))
	sub, _ := tok.Subject()
	aud, _ := tok.Audience()
	iat, _ := tok.IssuedAt()
	if sub != "demo-user" || claim(tok, "client_id") != client || claim(tok, "scope") != "blog:read" ||
		len(aud) != 1 || aud[0] != testAudience || iat.Before(before) || got.str("scope") != "blog:read" {
		t.Errorf("token sub %q client_id %q scope %q aud %v iat %v; response %v", sub, claim(tok, "client_id"), claim(tok, "scope"), aud, iat, got.body)
	}
	if again := redeem(t, ts, client, q.Get("code"), redirect, testVerifier); again.status != 400 || again.str("error") != "invalid_grant" {
		t.Errorf("second redemption: %d %v, want invalid_grant", again.status, again.body)
	}
}

// TestAuthorizationRequestRefusals: a request whose client or redirect URI
// cannot be trusted gets an error page and never a redirect; other errors go
// back to the (trusted) redirect URI with the OAuth error code and state.
func TestAuthorizationRequestRefusals(t *testing.T) {
	_, ts := startServer(t, authserver.Config{})
	loopback := registerClient(t, ts, "http://127.0.0.1/cb")
	web := registerClient(t, ts, "https://client.example/cb")
	good := "http://127.0.0.1:4000/cb"
	long := strings.Repeat("s", 1025)
	for _, tc := range []struct {
		name string
		url  string
		page int    // an error page with this status, or
		code string // a redirect carrying this error
	}{
		{"unknown client", authzURL(ts, "nobody", good), 400, ""},
		{"no client", authzURL(ts, "", good, "client_id", ""), 400, ""},
		{"confidential client", authzURL(ts, "demo-agent", good), 400, ""},
		{"unregistered redirect host", authzURL(ts, loopback, "http://127.0.0.2:4000/cb"), 400, ""},
		{"localhost is not 127.0.0.1", authzURL(ts, loopback, "http://localhost:4000/cb"), 400, ""},
		{"other path", authzURL(ts, loopback, "http://127.0.0.1:4000/cb/x"), 400, ""},
		{"added query", authzURL(ts, loopback, "http://127.0.0.1:4000/cb?x=1"), 400, ""},
		{"fragment", authzURL(ts, loopback, "http://127.0.0.1:4000/cb#f"), 400, ""},
		{"user info", authzURL(ts, loopback, "http://evil@127.0.0.1:4000/cb"), 400, ""},
		{"https is exact: no port change", authzURL(ts, web, "https://client.example:8443/cb"), 400, ""},
		{"https is exact: other host", authzURL(ts, web, "https://evil.example/cb"), 400, ""},
		{"no redirect_uri", authzURL(ts, loopback, "", "redirect_uri", ""), 400, ""},
		{"repeated parameter", authzURL(ts, loopback, good) + "&scope=blog:read&scope=blog:write", 400, ""},
		{"implicit flow", authzURL(ts, loopback, good, "response_type", "token"), 0, "unsupported_response_type"},
		{"no response_type", authzURL(ts, loopback, good, "response_type", ""), 0, "unsupported_response_type"},
		{"no PKCE", authzURL(ts, loopback, good, "code_challenge", "", "code_challenge_method", ""), 0, "invalid_request"},
		{"plain PKCE", authzURL(ts, loopback, good, "code_challenge_method", "plain"), 0, "invalid_request"},
		{"PKCE method missing", authzURL(ts, loopback, good, "code_challenge_method", ""), 0, "invalid_request"},
		{"short challenge", authzURL(ts, loopback, good, "code_challenge", "abc"), 0, "invalid_request"},
		{"challenge with padding", authzURL(ts, loopback, good, "code_challenge", testChallenge[:42]+"="), 0, "invalid_request"},
		{"admin scope", authzURL(ts, loopback, good, "scope", "blog:read blog:admin"), 0, "invalid_scope"},
		{"malformed scope", authzURL(ts, loopback, good, "scope", `blog:"x"`), 0, "invalid_scope"},
		{"foreign resource", authzURL(ts, loopback, good, "resource", "http://evil.example/mcp"), 0, "invalid_target"},
		{"state too long", authzURL(ts, loopback, good, "state", long), 0, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newBrowser(t, ts).get(tc.url)
			if tc.page != 0 {
				if p.status != tc.page || p.header.Get("Location") != "" || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
					t.Fatalf("want an error page %d without redirect; got %d Location %q", tc.page, p.status, p.header.Get("Location"))
				}
				if strings.Contains(p.body, "<form") {
					t.Error("an error page carries a form")
				}
				return
			}
			q := redirected(t, p)
			wantState := "st-1"
			if tc.name == "state too long" {
				wantState = ""
			}
			if q.Get("error") != tc.code || q.Get("error_description") == "" || q.Get("code") != "" || q.Get("state") != wantState {
				t.Errorf("redirect query %v, want error %s", q, tc.code)
			}
		})
	}
}

// TestConsentFormRefusals: the consent answer must come from the browser
// the page was shown to (session cookie and csrf_token), from this site,
// once; a denial goes back as access_denied and issues no code.
func TestConsentFormRefusals(t *testing.T) {
	_, ts := startServer(t, authserver.Config{})
	client := registerClient(t, ts, "http://127.0.0.1/cb")
	redirect := "http://127.0.0.1:4000/cb"
	start := func(t *testing.T) (*browser, url.Values) {
		b := newBrowser(t, ts)
		f := consentForm(t, b.get(authzURL(ts, client, redirect)))
		f.Set("decision", "approve")
		return b, f
	}
	for _, tc := range []struct {
		name   string
		edit   func(f url.Values)
		header map[string]string
		other  bool // answer from another browser (no session cookie)
		status int
	}{
		{"wrong csrf token", func(f url.Values) { f.Set("csrf_token", "x"+f.Get("csrf_token")) }, nil, false, 403},
		{"no csrf token", func(f url.Values) { f.Del("csrf_token") }, nil, false, 403},
		{"another browser", nil, nil, true, 403},
		{"unknown request", func(f url.Values) { f.Set("request_id", "nope") }, nil, false, 400},
		{"cross-site fetch", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}, false, 403},
		{"same-site fetch", nil, map[string]string{"Sec-Fetch-Site": "same-site"}, false, 403},
		{"foreign origin", nil, map[string]string{"Origin": "http://evil.example"}, false, 403},
		{"no decision", func(f url.Values) { f.Del("decision") }, nil, false, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, f := start(t)
			if tc.edit != nil {
				tc.edit(f)
			}
			if tc.other {
				b = newBrowser(t, ts)
			}
			p := b.post(ts.URL+authserver.ConsentPath, f, tc.header)
			if p.status != tc.status || p.header.Get("Location") != "" {
				t.Errorf("status %d Location %q, want %d and no redirect\n%s", p.status, p.header.Get("Location"), tc.status, p.body)
			}
		})
	}
	for name, h := range map[string]map[string]string{
		"same origin headers pass":   {"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"},
		"opaque origin is no answer": {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
		"typed-in navigation":        {"Sec-Fetch-Site": "none"},
	} {
		t.Run(name, func(t *testing.T) {
			b, f := start(t)
			if q := redirected(t, b.post(ts.URL+authserver.ConsentPath, f, h)); q.Get("code") == "" {
				t.Errorf("query %v", q)
			}
		})
	}
	t.Run("answered once", func(t *testing.T) {
		b, f := start(t)
		if q := redirected(t, b.post(ts.URL+authserver.ConsentPath, f, nil)); q.Get("code") == "" {
			t.Fatalf("query %v", q)
		}
		if p := b.post(ts.URL+authserver.ConsentPath, f, nil); p.status != 400 {
			t.Errorf("second answer: %d", p.status)
		}
	})
	t.Run("deny", func(t *testing.T) {
		b, f := start(t)
		f.Set("decision", "deny")
		q := redirected(t, b.post(ts.URL+authserver.ConsentPath, f, nil))
		if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != "st-1" {
			t.Errorf("query %v", q)
		}
	})
	t.Run("GET is not an answer", func(t *testing.T) {
		_, f := start(t)
		if p := newBrowser(t, ts).get(ts.URL + authserver.ConsentPath + "?" + f.Encode()); p.status != http.StatusMethodNotAllowed {
			t.Errorf("GET consent: %d", p.status)
		}
	})
}

// TestCodeRedemptionRefusals: a code is redeemed only by its client, with
// its redirect URI and the verifier of its challenge, without client
// authentication, for the gateway; any failed try burns it.
func TestCodeRedemptionRefusals(t *testing.T) {
	_, ts := startServer(t, authserver.Config{})
	client := registerClient(t, ts, "http://127.0.0.1/cb")
	other := registerClient(t, ts, "http://127.0.0.1/cb")
	redirect := "http://127.0.0.1:4000/cb"
	code := func(t *testing.T, extra ...string) string {
		b := newBrowser(t, ts)
		q := b.approve(ts, b.get(authzURL(ts, client, redirect, extra...)))
		return q.Get("code")
	}
	for _, tc := range []struct {
		name   string
		client string
		redir  string
		verif  string
		extra  []string
		authz  []string // extra authorization request parameters
		status int
		err    string
	}{
		{"wrong verifier", client, redirect, strings.Repeat("a", 43), nil, nil, 400, "invalid_grant"},
		{"verifier too short", client, redirect, testVerifier[:42], nil, nil, 400, "invalid_grant"},
		{"challenge as verifier", client, redirect, testChallenge, nil, nil, 400, "invalid_grant"},
		{"no verifier", client, redirect, "", nil, nil, 400, "invalid_request"},
		{"other client", other, redirect, testVerifier, nil, nil, 400, "invalid_grant"},
		{"no client_id", "", redirect, testVerifier, nil, nil, 401, "invalid_client"},
		{"other redirect port", client, "http://127.0.0.1:4001/cb", testVerifier, nil, nil, 400, "invalid_grant"},
		{"client secret sent", client, redirect, testVerifier, []string{"client_secret", "x"}, nil, 401, "invalid_client"},
		{"foreign resource", client, redirect, testVerifier, []string{"resource", "http://evil.example/mcp"}, nil, 400, "invalid_target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := code(t, tc.authz...)
			got := redeem(t, ts, tc.client, c, tc.redir, tc.verif, tc.extra...)
			if got.status != tc.status || got.str("error") != tc.err {
				t.Fatalf("%d %v, want %d %s", got.status, got.body, tc.status, tc.err)
			}
			if _, leaked := got.body["access_token"]; leaked {
				t.Fatal("error with a token")
			}
			if again := redeem(t, ts, client, c, redirect, testVerifier); again.status == 200 {
				t.Error("the code still works after a failed redemption")
			}
		})
	}
	t.Run("basic auth", func(t *testing.T) {
		c := code(t)
		got := callToken(t, ts, tokenCall{basic: [2]string{client, "x"}, form: form("grant_type", "authorization_code",
			"code", c, "redirect_uri", redirect, "code_verifier", testVerifier)})
		if got.status != 401 || got.str("error") != "invalid_client" {
			t.Errorf("%d %v", got.status, got.body)
		}
	})
	t.Run("no scope means what the user may grant", func(t *testing.T) {
		got := redeem(t, ts, client, code(t, "scope", ""), redirect, testVerifier)
		if got.status != 200 || got.str("scope") != "blog:read blog:write" {
			t.Errorf("%d %v", got.status, got.body)
		}
	})
}
