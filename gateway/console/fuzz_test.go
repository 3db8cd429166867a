package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/console"
	"golang.org/x/net/http/httpguts"
)

// FuzzChangeNeedsCSRF: a change sent with the session cookie is applied
// only with the session's exact CSRF token from the console's own origin;
// any other token, origin or fetch site changes nothing.
func FuzzChangeNeedsCSRF(f *testing.F) {
	f.Add(true, "", "", "")
	f.Add(true, "", "", "same-origin")
	f.Add(true, "", "http://evil.example", "")
	f.Add(true, "", "", "cross-site")
	f.Add(false, "", "", "")
	f.Add(false, "x", "http://evil.example", "cross-site")
	f.Add(false, "AAAA", "null", "same-origin")
	f.Add(true, "\x00", "http://127.0.0.1", "same-site")
	f.Fuzz(func(t *testing.T, useReal bool, token, origin, site string) {
		s := newStack(t, console.Config{})
		b := newBrowser(t)
		s.signIn(t, b)
		real := csrf(b.get(s.base + "/manage").body)
		if useReal {
			token = real + token
		}
		header := map[string]string{}
		if origin != "" {
			header["Origin"] = origin
		}
		if site != "" {
			header["Sec-Fetch-Site"] = site
		}
		req, err := http.NewRequest(http.MethodPost, s.base+"/manage", nil)
		if err != nil {
			return
		}
		for k, v := range header {
			if !httpguts.ValidHeaderFieldValue(v) || strings.TrimSpace(v) != v {
				return // not a header value net/http sends as given
			}
			req.Header.Set(k, v)
		}
		form := url.Values{"op": {"account"}, "rate": {"1"}, "burst": {"1"}, console.CSRFField: {token}}
		r := b.post(s.base+"/manage", form, header)
		applied := len(s.backend.updates) > 0
		sameOrigin := origin == "" || origin == "null" || origin == "http://"+s.srv.Listener.Addr().String()
		okSite := site == "" || site == "same-origin" || site == "none"
		if want := token == real && sameOrigin && okSite; applied != want {
			t.Fatalf("token %q origin %q site %q: status %d, applied %v, want %v", token, origin, site, r.status, applied, want)
		}
	})
}
