package policy

import (
	"github.com/tracegate/tracegate/internal/oauthtest"

	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"go-micro.dev/v5/auth"
)

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		headers []string
		want    string
		wantErr error
	}{
		{"header", "/mcp", []string{"Bearer abc.def"}, "abc.def", nil},
		{"scheme case-insensitive", "/mcp", []string{"bearer abc"}, "abc", nil},
		{"missing", "/mcp", nil, "", ErrMissingToken},
		{"basic scheme", "/mcp", []string{"Basic dXNlcg=="}, "", ErrMissingToken},
		{"empty token", "/mcp", []string{"Bearer "}, "", ErrMissingToken},
		{"query token", "/mcp?access_token=abc", nil, "", ErrTokenInQuery},
		{"query token beside header", "/mcp?access_token=abc", []string{"Bearer abc"}, "", ErrTokenInQuery},
		{"two headers", "/mcp", []string{"Bearer a", "Bearer b"}, "", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.url, nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := BearerToken(r)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) || got != tt.want {
				t.Fatalf("BearerToken = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestStaticVerifier(t *testing.T) {
	p := Principal{Subject: "stdio-user", Scopes: []string{"blog:read"}}
	v := NewStaticVerifier("s3cret", p)
	got, err := v.Verify(t.Context(), "s3cret")
	if err != nil || got.Subject != "stdio-user" || !slices.Equal(got.Scopes, p.Scopes) {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	got.Scopes[0] = "mutated"
	if again, _ := v.Verify(t.Context(), "s3cret"); again.Scopes[0] != "blog:read" {
		t.Fatal("returned scopes alias the verifier's")
	}
	for _, tok := range []string{"s3cre", "s3cret2", "S3CRET"} {
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("%q: %v", tok, err)
		}
	}
	if _, err := v.Verify(t.Context(), ""); !errors.Is(err, ErrMissingToken) {
		t.Fatal(err)
	}
	if _, err := NewStaticVerifier("", p).Verify(t.Context(), "x"); !errors.Is(err, ErrInvalidToken) {
		t.Fatal("empty credential must accept nothing")
	}
}

// fakeAuth is the part of go-micro auth.Auth the verifier uses.
type fakeAuth struct {
	auth.Auth
	accounts map[string]*auth.Account
}

func (f fakeAuth) Inspect(token string) (*auth.Account, error) {
	if a, ok := f.accounts[token]; ok {
		return a, nil
	}
	return nil, auth.ErrInvalidToken
}

func TestAuthVerifier(t *testing.T) {
	v := NewAuthVerifier(fakeAuth{accounts: map[string]*auth.Account{
		"good": {ID: "bob", Issuer: "micro", Scopes: []string{"posts:write"}, Metadata: map[string]string{"intent": "m-1", "client": "cli"}},
		"noid": {},
	}})
	p, err := v.Verify(t.Context(), "good")
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{Subject: "bob", Client: "cli", Scopes: []string{"posts:write"}, IntentID: "m-1", Issuer: "micro"}
	if p.Subject != want.Subject || p.Client != want.Client || p.IntentID != want.IntentID || p.Issuer != want.Issuer || !slices.Equal(p.Scopes, want.Scopes) {
		t.Fatalf("principal = %+v", p)
	}
	for tok, wantErr := range map[string]error{"bad": ErrInvalidToken, "noid": ErrMalformedToken, "": ErrMissingToken} {
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, wantErr) {
			t.Fatalf("%q: %v, want %v", tok, err, wantErr)
		}
	}
}

func TestChallenge(t *testing.T) {
	const rm = "https://gw.example.test/.well-known/oauth-protected-resource/mcp"
	expired := errors.Join(ErrInvalidToken, ErrTokenExpired)
	tests := []struct {
		name       string
		err        error
		scopes     []string
		retry      time.Duration
		status     int
		header     string
		retryAfter string
	}{
		{"missing", ErrMissingToken, []string{"blog:read"}, 0, 401,
			`Bearer scope="blog:read", resource_metadata="` + rm + `"`, ""},
		{"expired", expired, nil, 0, 401,
			`Bearer error="invalid_token", error_description="token expired", resource_metadata="` + rm + `"`, ""},
		{"insufficient", ErrInsufficientScope, []string{"blog:write", "blog:admin"}, 0, 403,
			`Bearer error="insufficient_scope", error_description="the token lacks a scope this tool requires", scope="blog:write blog:admin", resource_metadata="` + rm + `"`, ""},
		{"query", ErrTokenInQuery, nil, 0, 400,
			`Bearer error="invalid_request", error_description="token must be sent in the Authorization header", resource_metadata="` + rm + `"`, ""},
		{"rate", ErrRateLimited, nil, 1500 * time.Millisecond, 429, "", "2"},
		{"unavailable", ErrLimiterUnavailable, nil, time.Second, 503, "", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChallenge(tt.err, rm, tt.scopes, tt.retry)
			h := http.Header{}
			c.Apply(h)
			if c.Status != tt.status || h.Get("WWW-Authenticate") != tt.header || h.Get("Retry-After") != tt.retryAfter {
				t.Fatalf("got %d %q %q", c.Status, h.Get("WWW-Authenticate"), h.Get("Retry-After"))
			}
		})
	}
	if got := (Challenge{Status: 401, Description: `a"b\c` + "\n"}).Header(); got != `Bearer error_description="a\"b\\c"` {
		t.Fatalf("quoting: %s", got)
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	m := NewProtectedResourceMetadata(oauthtest.Audience, []string{"https://as.example.test"}, []string{"blog:read"})
	if got := MetadataPaths(oauthtest.Audience); !slices.Equal(got, []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
		t.Fatalf("paths = %q", got)
	}
	if got := MetadataURL(oauthtest.Audience); got != "https://gw.example.test/.well-known/oauth-protected-resource/mcp" {
		t.Fatalf("url = %q", got)
	}
	mux := http.NewServeMux()
	MountMetadata(mux, m)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, p := range MetadataPaths(oauthtest.Audience) {
		res, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(res.Body).Decode(&doc)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", p, res.StatusCode, err)
		}
		if doc["resource"] != oauthtest.Audience || doc["bearer_methods_supported"].([]any)[0] != "header" ||
			doc["authorization_servers"].([]any)[0] != "https://as.example.test" || doc["scopes_supported"].([]any)[0] != "blog:read" {
			t.Fatalf("%s: %v", p, doc)
		}
	}
}
