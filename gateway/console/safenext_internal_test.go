package console

import (
	"crypto/tls"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/console/manage":              "/console/manage",
		"/console/decisions?tool=x":    "/console/decisions?tool=x",
		"/console":                     "/console",
		"":                             "/console/tools",
		"https://evil.example/console": "/console/tools",
		"//evil.example/console/x":     "/console/tools",
		"/\\evil.example":              "/console/tools",
		"/consoleevil":                 "/console/tools",
		"/console/../mcp":              "/console/tools",
		"javascript:alert(1)":          "/console/tools",
		"/console/x\r\nSet-Cookie: a":  "/console/tools",
		"http:/console/x":              "/console/tools",
		"/other":                       "/console/tools",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext: whatever a sign-in link says, the browser is sent only to
// a console path on the console's own origin.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/console/tools", "//x", "/console/..//x", "https://x/console", "/\\x", "/console/%2e%2e/x", "/%2f%2fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") ||
			(u.Path != Path && !strings.HasPrefix(u.Path, Path+"/")) || strings.Contains(u.Path, "..") {
			t.Fatalf("safeNext(%q) = %q leaves the console", next, got)
		}
		base, _ := url.Parse("http://gw.example/console/callback")
		if r := base.ResolveReference(u); r.Host != "gw.example" {
			t.Fatalf("safeNext(%q) = %q resolves to %s", next, got, r)
		}
	})
}

// TestSecureCookies: cookies get Secure under TLS and whenever the
// console's URL is https (TLS ended by a proxy).
func TestSecureCookies(t *testing.T) {
	for _, tc := range []struct {
		resource string
		tls      bool
		want     bool
	}{
		{"http://127.0.0.1:8080/console", false, false},
		{"http://127.0.0.1:8080/console", true, true},
		{"https://gw.example/console", false, true},
	} {
		c := &Console{cfg: Config{Resource: tc.resource}}
		r := httptest.NewRequest("GET", "/console/login", nil)
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := c.secure(r); got != tc.want {
			t.Errorf("%s tls=%v: secure %v, want %v", tc.resource, tc.tls, got, tc.want)
		}
	}
}
