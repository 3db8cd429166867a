package authserver_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/examples/authserver"
)

// testVerifier is a PKCE code verifier (43 unreserved characters) and
// testChallenge its S256 challenge.
const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

var testChallenge = s256(testVerifier)

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// browser is a user agent with cookies that does not follow redirects: a
// test reads the Location of the authorization response itself.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T, ts *httptest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := *ts.Client()
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, hc: &hc}
}

// page is one response with its body read.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form, with extra headers.
func (b *browser) post(u string, form url.Values, header map[string]string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// consentForm reads the consent page's hidden fields.
func consentForm(t *testing.T, p page) url.Values {
	t.Helper()
	if p.status != http.StatusOK || !strings.Contains(p.body, `<form method="post" action="/authorize/consent">`) {
		t.Fatalf("not a consent page: %d\n%s", p.status, p.body)
	}
	f := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		f.Set(m[1], m[2])
	}
	if f.Get("request_id") == "" || f.Get("csrf_token") == "" {
		t.Fatalf("consent page without request_id or csrf_token:\n%s", p.body)
	}
	return f
}

// authzURL is an authorization request with PKCE for client.
func authzURL(ts *httptest.Server, client, redirect string, extra ...string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
		"code_challenge": {testChallenge}, "code_challenge_method": {"S256"}, "state": {"st-1"}}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
			continue
		}
		q.Set(extra[i], extra[i+1])
	}
	return ts.URL + authserver.AuthorizePath + "?" + q.Encode()
}

// approve answers a consent page with Allow and returns the redirect's
// query (code, state, iss or error).
func (b *browser) approve(ts *httptest.Server, p page) url.Values {
	b.t.Helper()
	f := consentForm(b.t, p)
	f.Set("decision", "approve")
	res := b.post(ts.URL+authserver.ConsentPath, f, nil)
	return redirected(b.t, res)
}

// redirected reads a 303's Location query.
func redirected(t *testing.T, p page) url.Values {
	t.Helper()
	if p.status != http.StatusSeeOther {
		t.Fatalf("want a 303 to the client, got %d\n%s", p.status, p.body)
	}
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// register runs RFC 7591 registration and returns the status and JSON body.
func register(t *testing.T, ts *httptest.Server, body string) (int, map[string]any) {
	t.Helper()
	res, err := ts.Client().Post(ts.URL+authserver.RegisterPath, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("registration answered %d with non-JSON: %v", res.StatusCode, err)
	}
	return res.StatusCode, out
}

// registerClient registers a public client with redirect and returns its id.
func registerClient(t *testing.T, ts *httptest.Server, redirect string) string {
	t.Helper()
	status, out := register(t, ts, `{"client_name":"Test client","redirect_uris":["`+redirect+`"],"token_endpoint_auth_method":"none"}`)
	id, _ := out["client_id"].(string)
	if status != http.StatusCreated || id == "" {
		t.Fatalf("registration: %d %v", status, out)
	}
	return id
}

// redeem exchanges a code at the token endpoint as a public client.
func redeem(t *testing.T, ts *httptest.Server, client, code, redirect, verifier string, extra ...string) tokenReply {
	t.Helper()
	f := form("grant_type", "authorization_code", "client_id", client, "code", code, "redirect_uri", redirect, "code_verifier", verifier)
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return callToken(t, ts, tokenCall{form: f})
}
