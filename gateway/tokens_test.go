package gateway_test

import (
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/tracegate/tracegate/gateway"
)

// TestStrictTokensHTTP: auth.max_token_lifetime and auth.require_typ reach
// the verifier; an empty sub and a crit header are refused regardless.
func TestStrictTokensHTTP(t *testing.T) {
	a := newAuthEnv(t, func(o *gateway.Options) {
		o.Config.Auth.MaxTokenLifetime = 10 * time.Minute
		o.Config.Auth.RequireTyp = "at+jwt"
	})
	at := map[string]any{"typ": "at+jwt"}
	sign := func(changes, headers map[string]any) string {
		c := a.iss.Claims()
		for k, v := range changes {
			c[k] = v
		}
		return a.iss.SignWithHeaders(t, "rsa-1", jwa.RS256(), c, headers)
	}
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"at+jwt within the maximum", sign(nil, at), 200},
		{"untyped", sign(nil, nil), 401},
		{"over the maximum lifetime", sign(map[string]any{"exp": time.Now().Add(time.Hour).Unix()}, at), 401},
		{"empty sub", sign(map[string]any{"sub": ""}, at), 401},
		{"unknown crit", sign(nil, map[string]any{"typ": "at+jwt", "crit": []string{"x"}, "x": 1}), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.client(tc.token)
			if tc.want == 200 {
				c.initialize(t)
			}
			if r := c.callTool(t, "users.Users.List", map[string]any{}); r.Status != tc.want {
				t.Fatalf("got %s, want %d", r, tc.want)
			}
		})
	}
}
