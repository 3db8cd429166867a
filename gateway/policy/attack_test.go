package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/tracegate/tracegate/internal/oauthtest"
)

// TestAttackTokenClaims: claims an issuer may sign that must not widen what
// the gateway grants or blur who the caller is.
func TestAttackTokenClaims(t *testing.T) {
	a := oauthtest.Start(t)
	v := newTestVerifier(t, a, WithMaxLifetime(10*time.Minute))
	c := a.Claims()
	now := time.Now()
	cases := []struct {
		name   string
		claims map[string]any
		ok     func(p Principal, err error) bool
		want   string
	}{
		// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ),
		// separated by a single space (%x20). strings.Fields also splits on
		// U+00A0, U+0085, tabs and newlines, so one (odd) scope the issuer
		// granted becomes two here, one of them admin.
		{"scope split on NBSP", with(c, "scope", "probe:read\u00a0probe:admin"),
			func(p Principal, err error) bool { return err != nil || !slices.Contains(p.Scopes, "probe:admin") },
			"refused, or no probe:admin scope"},
		{"scope split on newline", with(c, "scope", "probe:read\nprobe:admin"),
			func(p Principal, err error) bool { return err != nil || !slices.Contains(p.Scopes, "probe:admin") },
			"refused, or no probe:admin scope"},
		// A subject of whitespace is as empty as "" (issue 11 point 4).
		{"whitespace subject", with(c, "sub", "   "),
			func(_ Principal, err error) bool { return err != nil }, "refused"},
		// Subjects with control characters (NUL) make principal keys
		// ambiguous (subject + "\x00" + client binds sessions).
		{"NUL in subject", with(c, "sub", "alice\x00x"),
			func(_ Principal, err error) bool { return err != nil }, "refused"},
		// Issued in the future (beyond the leeway): not yet a valid token.
		{"iat an hour ahead", with(c, "iat", now.Add(time.Hour).Unix(), "exp", now.Add(time.Hour+time.Minute).Unix()),
			func(_ Principal, err error) bool { return err != nil }, "refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), a.Sign(t, "rsa-1", jwa.RS256(), tc.claims))
			if !tc.ok(p, err) {
				t.Fatalf("principal %+v, err %v; want %s", p, err, tc.want)
			}
		})
	}
}
