package authserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/tracegate/tracegate/examples/authserver"
)

const testAudience = "http://127.0.0.1:8080/mcp"

// startServer serves an authserver built from cfg on 127.0.0.1; the issuer
// is the server's own URL unless cfg sets one.
func startServer(t testing.TB, cfg authserver.Config) (*authserver.Server, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	if cfg.Issuer == "" {
		cfg.Issuer = "http://" + ts.Listener.Addr().String()
	}
	if cfg.Audience == "" {
		cfg.Audience = testAudience
	}
	if cfg.Clients == nil {
		cfg.Clients = authserver.DemoClients()
	}
	s, err := authserver.New(cfg)
	if err != nil {
		ts.Close()
		t.Fatalf("New: %v", err)
	}
	ts.Config.Handler = s.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return s, ts
}

// tokenCall is one request to the token endpoint.
type tokenCall struct {
	method      string            // default POST
	contentType string            // default form
	basic       [2]string         // id, secret (form-urlencoded like RFC 6749 §2.3.1)
	form        url.Values        // body
	query       string            // raw query
	header      map[string]string // extra headers
}

type tokenReply struct {
	status int
	header http.Header
	body   map[string]any
}

func (r tokenReply) str(k string) string { s, _ := r.body[k].(string); return s }

func callToken(t testing.TB, ts *httptest.Server, c tokenCall) tokenReply {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	u := ts.URL + authserver.TokenPath
	if c.query != "" {
		u += "?" + c.query
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, strings.NewReader(c.form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	ct := c.contentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ct)
	if c.basic[0] != "" {
		req.SetBasicAuth(url.QueryEscape(c.basic[0]), url.QueryEscape(c.basic[1]))
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := tokenReply{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		t.Fatalf("token endpoint answered %d with non-JSON %q", res.StatusCode, raw)
	}
	return out
}

// parseToken verifies an access token against the server's published JWKS
// and returns it with its protected headers.
func parseToken(t testing.TB, ts *httptest.Server, token string) (jwt.Token, jws.Headers) {
	t.Helper()
	set, err := jwk.Fetch(context.Background(), ts.URL+authserver.JWKSPath, jwk.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatalf("fetch JWKS: %v", err)
	}
	tok, err := jwt.Parse([]byte(token), jwt.WithKeySet(set), jwt.WithValidate(true))
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	msg, err := jws.Parse([]byte(token))
	if err != nil {
		t.Fatal(err)
	}
	return tok, msg.Signatures()[0].ProtectedHeaders()
}

func claim(tok jwt.Token, name string) string {
	var v any
	if tok.Get(name, &v) != nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
