package policy

import (
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/tracegate/tracegate/internal/oauthtest"
)

// TestInvisibleOrSpoofingIdentitiesRefused: a subject or client_id with
// characters a person does not see as written is refused like an empty
// one: zero-width characters name nobody in the audit trail and the
// console, and a right-to-left override makes "\u202eecila" display as
// "alice" while it keys its own sessions and rate limits. Printable
// non-ASCII identities stay accepted.
func TestInvisibleOrSpoofingIdentitiesRefused(t *testing.T) {
	a := oauthtest.Start(t)
	v := newTestVerifier(t, a)
	c := a.Claims()
	for _, tc := range []struct{ claim, value string }{
		{"sub", "\u200b"},
		{"sub", "\u2060\ufeff"},
		{"sub", "\u202eecila"},
		{"sub", "alice\u200b"},
		{"sub", "ali\u00adce"},    // soft hyphen (Cf)
		{"sub", "alice\u00a0"},    // no-break space
		{"sub", "\U000e0061lice"}, // tag character
		{"sub", "al\ue000ice"},    // private use
		{"client_id", "agent\u202e"},
		{"client_id", "agent\u200d"},
	} {
		t.Run(tc.claim+" "+tc.value, func(t *testing.T) {
			p, err := v.Verify(t.Context(), a.Sign(t, "rsa-1", jwa.RS256(), with(c, tc.claim, tc.value)))
			if err == nil {
				t.Fatalf("%s %+q accepted as principal %+v", tc.claim, tc.value, p)
			}
		})
	}
	for _, sub := range []string{"alice", "Zoë Ørsted", "用户-42", "user@example.com", "a b"} {
		if _, err := v.Verify(t.Context(), a.Sign(t, "rsa-1", jwa.RS256(), with(c, "sub", sub))); err != nil {
			t.Errorf("printable subject %q refused: %v", sub, err)
		}
	}
}
