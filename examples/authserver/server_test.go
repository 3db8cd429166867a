package authserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
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
		Issuer:                                     s.Issuer(),
		AuthorizationEndpoint:                      ts.URL + "/authorize",
		TokenEndpoint:                              ts.URL + "/token",
		RegistrationEndpoint:                       ts.URL + "/register",
		JWKSURI:                                    ts.URL + "/jwks.json",
		ResponseTypesSupported:                     []string{"code"},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{"authorization_code", "client_credentials"},
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_basic", "client_secret_post", "none"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		ScopesSupported:                            []string{"blog:admin", "blog:read", "blog:write", "tracegate:admin"},
		ClientIDMetadataDocumentSupported:          true,
		AuthorizationResponseIssParameterSupported: true,
	}
	for i, m := range docs {
		if !reflect.DeepEqual(m, want) {
			t.Errorf("doc %d = %+v, want %+v", i, m, want)
		}
	}
	if got := s.Metadata(); !reflect.DeepEqual(got, want) {
		t.Errorf("Metadata() = %+v", got)
	}
	// What MCP clients read under exactly these names (RFC 8414 §2, MCP
	// 2025-11-25 authorization).
	_, body := get(t, ts.Client(), ts.URL+authserver.MetadataPath)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"authorization_endpoint", "response_types_supported", "code_challenge_methods_supported",
		"grant_types_supported", "token_endpoint_auth_methods_supported", "registration_endpoint", "client_id_metadata_document_supported"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("metadata lacks %s", k)
		}
	}
	if got := s.Metadata(); &got.ScopesSupported[0] == &s.Metadata().ScopesSupported[0] {
		t.Error("Metadata() shares its slices")
	}
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
	if res, _ := get(t, ts.Client(), ts.URL+"/nope"); res.StatusCode != 404 {
		t.Errorf("/nope: %d, want 404", res.StatusCode)
	}
}
