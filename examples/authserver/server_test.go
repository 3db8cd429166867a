package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/tracegate/tracegate/examples/authserver"
)

func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestMetadataAtBothWellKnownPaths(t *testing.T) {
	s, ts := startServer(t, authserver.Config{})
	var docs []authserver.Metadata
	for _, path := range []string{authserver.MetadataPath, authserver.OpenIDConfigurationPath} {
		res, body := get(t, ts.Client(), ts.URL+path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var m authserver.Metadata
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, m)
	}
	want := authserver.Metadata{
		Issuer:                            s.Issuer(),
		TokenEndpoint:                     ts.URL + "/token",
		JWKSURI:                           ts.URL + "/jwks.json",
		GrantTypesSupported:               []string{"client_credentials"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		ScopesSupported:                   []string{"blog:admin", "blog:read", "blog:write"},
		ResponseTypesSupported:            []string{},
	}
	for i, m := range docs {
		if !metadataEqual(m, want) {
			t.Errorf("doc %d = %+v, want %+v", i, m, want)
		}
	}
	if got := s.Metadata(); !metadataEqual(got, want) {
		t.Errorf("Metadata() = %+v", got)
	}
}

func metadataEqual(a, b authserver.Metadata) bool {
	return a.Issuer == b.Issuer && a.TokenEndpoint == b.TokenEndpoint && a.JWKSURI == b.JWKSURI &&
		slices.Equal(a.GrantTypesSupported, b.GrantTypesSupported) &&
		slices.Equal(a.TokenEndpointAuthMethodsSupported, b.TokenEndpointAuthMethodsSupported) &&
		slices.Equal(a.ScopesSupported, b.ScopesSupported) && a.ResponseTypesSupported != nil && len(a.ResponseTypesSupported) == 0
}

func TestIssuerWithTrailingSlashKeepsEndpointsClean(t *testing.T) {
	s, err := authserver.New(authserver.Config{Issuer: "http://authserver:9090/", Audience: "http://gateway:8080/mcp", Clients: authserver.DemoClients()})
	if err != nil {
		t.Fatal(err)
	}
	m := s.Metadata()
	if m.Issuer != "http://authserver:9090/" || m.TokenEndpoint != "http://authserver:9090/token" || m.JWKSURI != "http://authserver:9090/jwks.json" {
		t.Errorf("metadata = %+v", m)
	}
}

func TestJWKSAndHealth(t *testing.T) {
	s, ts := startServer(t, authserver.Config{})
	res, body := get(t, ts.Client(), ts.URL+authserver.JWKSPath)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("jwks: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	set, err := jwk.Parse(body)
	if err != nil || set.Len() != 1 {
		t.Fatalf("jwks = %s (%v)", body, err)
	}
	key, _ := set.Key(0)
	kid, _ := key.KeyID()
	alg, _ := key.Algorithm()
	if kid != s.KeyID() || alg.String() != "EdDSA" {
		t.Errorf("kid %q alg %v, want %q EdDSA", kid, alg, s.KeyID())
	}
	if _, isPrivate := key.(jwk.OKPPrivateKey); isPrivate || strings.Contains(string(body), `"d"`) {
		t.Error("JWKS publishes the private key")
	}
	if res, body := get(t, ts.Client(), ts.URL+authserver.HealthPath); res.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("health: %d %q", res.StatusCode, body)
	}
	if res, _ := get(t, ts.Client(), ts.URL+"/authorize"); res.StatusCode != 404 {
		t.Errorf("/authorize: %d, want 404 (no authorization endpoint)", res.StatusCode)
	}
}
