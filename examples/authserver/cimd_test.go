package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tracegate/tracegate/examples/authserver"
)

// docServer serves client metadata documents: path -> (headers, body); it
// counts the requests per path.
type docServer struct {
	*httptest.Server
	docs map[string]doc
	hits map[string]*atomic.Int32
}

type doc struct {
	status      int // 0: 200
	contentType string
	cache       string
	location    string
	body        string // %s is replaced by the document's own URL
}

func startDocServer(t *testing.T, tls bool, docs map[string]doc) *docServer {
	t.Helper()
	d := &docServer{docs: docs, hits: map[string]*atomic.Int32{}}
	for p := range docs {
		d.hits[p] = &atomic.Int32{}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dc, ok := d.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		d.hits[r.URL.Path].Add(1)
		ct := dc.contentType
		if ct == "" {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		if dc.cache != "" {
			w.Header().Set("Cache-Control", dc.cache)
		}
		if dc.location != "" {
			w.Header().Set("Location", d.URL+dc.location)
		}
		if dc.status != 0 {
			w.WriteHeader(dc.status)
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(dc.body, "%s", d.URL+r.URL.Path)))
	})
	if tls {
		d.Server = httptest.NewTLSServer(h)
	} else {
		d.Server = httptest.NewServer(h)
	}
	t.Cleanup(d.Close)
	return d
}

const goodDoc = `{"client_id":"%s","client_name":"Doc client","redirect_uris":["http://127.0.0.1/callback"],` +
	`"grant_types":["authorization_code"],"response_types":["code"],"token_endpoint_auth_method":"none"}`

// TestClientIDMetadataDocument: an https URL client_id is fetched,
// validated and cached (MCP 2025-11-25 client registration); the flow then
// runs like any other, and the token's client_id is the URL.
func TestClientIDMetadataDocument(t *testing.T) {
	docs := startDocServer(t, true, map[string]doc{"/client.json": {body: goodDoc, cache: "max-age=600"}})
	_, ts := startServer(t, authserver.Config{HTTPClient: docs.Client()})
	id := docs.URL + "/client.json"
	redirect := "http://127.0.0.1:61234/callback"

	b := newBrowser(t, ts)
	p := b.get(authzURL(ts, id, redirect, "scope", "blog:read blog:write"))
	if !strings.Contains(p.body, "Doc client") || !strings.Contains(p.body, "its metadata document is at its client ID") {
		t.Errorf("consent page does not name the document's client:\n%s", p.body)
	}
	q := b.approve(ts, p)
	got := redeem(t, ts, id, q.Get("code"), redirect, testVerifier)
	if got.status != 200 {
		t.Fatalf("token: %d %v", got.status, got.body)
	}
	tok, _ := parseToken(t, ts, got.str("access_token"))
	if claim(tok, "client_id") != id || claim(tok, "scope") != "blog:read blog:write" {
		t.Errorf("client_id %q scope %q", claim(tok, "client_id"), claim(tok, "scope"))
	}
	b.get(authzURL(ts, id, redirect))
	if n := docs.hits["/client.json"].Load(); n != 1 {
		t.Errorf("document fetched %d times for two requests within its max-age", n)
	}
}

// TestClientIDMetadataDocumentRefusals: hostile or broken documents never
// lead to a redirect, only to an error page.
func TestClientIDMetadataDocumentRefusals(t *testing.T) {
	big := `{"client_id":"%s","redirect_uris":["http://127.0.0.1/callback"],"client_name":"` + strings.Repeat("x", 70<<10) + `"}`
	docs := startDocServer(t, true, map[string]doc{
		"/other-id.json":  {body: strings.Replace(goodDoc, `"%s"`, `"https://evil.example/client.json"`, 1)},
		"/secret.json":    {body: strings.Replace(goodDoc, `"none"`, `"client_secret_basic"`, 1)},
		"/private.json":   {body: strings.Replace(goodDoc, `"none"`, `"private_key_jwt"`, 1)},
		"/cc.json":        {body: strings.Replace(goodDoc, `["authorization_code"]`, `["client_credentials"]`, 1)},
		"/no-redirects":   {body: `{"client_id":"%s"}`},
		"/http-redirect":  {body: `{"client_id":"%s","redirect_uris":["http://client.example/cb"]}`},
		"/moved":          {status: http.StatusFound, location: "/client.json"},
		"/client.json":    {body: goodDoc},
		"/html":           {contentType: "text/html", body: goodDoc},
		"/missing-status": {status: http.StatusNotFound, body: goodDoc},
		"/big":            {body: big},
		"/broken":         {body: `{"client_id":`},
	})
	plain := startDocServer(t, false, map[string]doc{"/client.json": {body: goodDoc}})
	_, ts := startServer(t, authserver.Config{HTTPClient: docs.Client()})
	redirect := "http://127.0.0.1:61234/callback"
	for _, tc := range []struct{ name, id, redirect string }{
		{"client_id differs", docs.URL + "/other-id.json", redirect},
		{"shared secret method", docs.URL + "/secret.json", redirect},
		{"unsupported auth method", docs.URL + "/private.json", redirect},
		{"client credentials grant", docs.URL + "/cc.json", redirect},
		{"no redirect URIs", docs.URL + "/no-redirects", redirect},
		{"http redirect on a public host", docs.URL + "/http-redirect", "http://client.example/cb"},
		{"redirect not followed", docs.URL + "/moved", redirect},
		{"not JSON", docs.URL + "/html", redirect},
		{"404", docs.URL + "/missing-status", redirect},
		{"larger than 64 KiB", docs.URL + "/big", redirect},
		{"truncated JSON", docs.URL + "/broken", redirect},
		{"unregistered redirect", docs.URL + "/client.json", "http://127.0.0.1:61234/elsewhere"},
		{"root path", docs.URL + "/", redirect},
		{"query", docs.URL + "/client.json?x=1", redirect},
		{"http on a non-loopback host is no document", "http://client.example/client.json", redirect},
		{"unreachable", "https://127.0.0.1:1/client.json", redirect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newBrowser(t, ts).get(authzURL(ts, tc.id, tc.redirect))
			if p.status != 400 || p.header.Get("Location") != "" || strings.Contains(p.body, "<form") {
				t.Errorf("want an error page without redirect; got %d Location %q", p.status, p.header.Get("Location"))
			}
		})
	}
	t.Run("http on loopback is a dev document", func(t *testing.T) {
		_, ts := startServer(t, authserver.Config{})
		consentForm(t, newBrowser(t, ts).get(authzURL(ts, plain.URL+"/client.json", redirect)))
	})
	if n := docs.hits["/client.json"].Load(); n != 1 {
		t.Errorf("the moved document was followed: /client.json fetched %d times", n)
	}
}

// TestClientIDMetadataDocumentNoStore: a document served with no-store is
// fetched again for each request.
func TestClientIDMetadataDocumentNoStore(t *testing.T) {
	docs := startDocServer(t, true, map[string]doc{"/c": {body: goodDoc, cache: "no-store"}})
	_, ts := startServer(t, authserver.Config{HTTPClient: docs.Client()})
	for range 2 {
		consentForm(t, newBrowser(t, ts).get(authzURL(ts, docs.URL+"/c", "http://127.0.0.1:1/callback")))
	}
	if n := docs.hits["/c"].Load(); n != 2 {
		t.Errorf("fetched %d times, want 2", n)
	}
}
