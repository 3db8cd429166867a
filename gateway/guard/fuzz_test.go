package guard_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/guard"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/gateway/reason"
	"github.com/tracegate/tracegate/internal/oauthtest"
)

// fuzzEndpoints and fuzzScopes are the universe the fuzzer draws from; the
// declared scopes are blogScopes.
var (
	fuzzEndpoints = []string{"posts.Posts.Create", "posts.Posts.Delete", "posts.Posts.Read", "users.Users.Read",
		"users.Users.Create", "users.Users.List", "comments.Comments.Create", "users.Users.Purge"}
	fuzzScopes   = []string{"blog:read", "blog:write", "blog:admin", "blog:*"}
	fuzzDeclared = map[string][]string{
		"posts.Posts.Create": {"blog:write"}, "posts.Posts.Read": {"blog:read"}, "posts.Posts.Delete": {"blog:admin"},
		"users.Users.Create": {"blog:admin"}, "users.Users.Read": {"blog:read"}, "users.Users.List": nil,
		"comments.Comments.Create": {"blog:write"},
	}
)

func pick(universe []string, mask uint8) []string {
	var out []string
	for i, s := range universe {
		if mask&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return out
}

// FuzzGuardAcceptsOnlyWhatWasSigned checks the guard's invariant: it
// accepts an identity only at the endpoint it was signed for (once) or at an
// endpoint signed into its downstream list whose declared scopes it holds
// (at most the forwarded-use cap), and an accepted identity's tool, scopes
// and list are exactly what the gateway signed. The fuzzer chooses what is
// signed, where and how often it is presented, and may flip one character of
// the token; for an unaltered token the guard's answer must equal the model's.
func FuzzGuardAcceptsOnlyWhatWasSigned(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0b1000), uint8(0b011), uint8(0), uint8(1), true, uint16(0))     // entry hop
	f.Add(uint8(0), uint8(0), uint8(0b1000), uint8(0b011), uint8(3), uint8(3), true, uint16(0))     // forwarded to users.Users.Read
	f.Add(uint8(6), uint8(6), uint8(0b0100), uint8(0b001), uint8(4), uint8(1), true, uint16(0))     // admin endpoint, not listed
	f.Add(uint8(0), uint8(0), uint8(0), uint8(0b111), uint8(0), uint8(2), false, uint16(0))         // entry replay
	f.Add(uint8(0), uint8(3), uint8(0b1000), uint8(0b011), uint8(0), uint8(1), false, uint16(0))    // wrong audience
	f.Add(uint8(0), uint8(0), uint8(0b1000), uint8(0b011), uint8(3), uint8(1), true, uint16(40))    // altered token
	f.Add(uint8(2), uint8(2), uint8(0b0100), uint8(0b1000), uint8(2), uint8(2), true, uint16(0))    // self-listed, wildcard only
	f.Add(uint8(0), uint8(0), uint8(0b10100000), uint8(0b100), uint8(7), uint8(1), true, uint16(0)) // unknown endpoint listed
	m := mustMinter(f, newKey(f))
	const uses = 2
	f.Fuzz(func(t *testing.T, toolIdx, audIdx, downMask, scopeMask, calledIdx, times uint8, forwarded bool, flip uint16) {
		tool := fuzzEndpoints[int(toolIdx)%len(fuzzEndpoints)]
		aud := service(fuzzEndpoints[int(audIdx)%len(fuzzEndpoints)])
		called := fuzzEndpoints[int(calledIdx)%len(fuzzEndpoints)]
		down, scopes := pick(fuzzEndpoints, downMask), pick(fuzzScopes, scopeMask)
		tok := mintReq(t, m, policy.IdentityRequest{Tool: tool, Audience: aud, Scopes: scopes, Downstream: down})
		altered := false
		if flip != 0 {
			i := int(flip) % len(tok)
			b := []byte(tok)
			b[i] = oauthtest.FlipB64(b[i])
			altered = string(b) != tok
			tok = string(b)
		}
		opts := []guard.Option{guard.WithPublicKey(m.PublicKey()), blogScopes(), guard.WithForwardedUses(uses)}
		if forwarded {
			opts = append(opts, guard.WithForwardedIdentities())
		}
		h := newHarness(t, opts...)
		svc, ep := service(called), strings.TrimPrefix(called, service(called)+".")
		entryUsed, fwdUses := false, 0
		for n := range int(times%4) + 1 {
			d, _ := h.present(t, svc, ep, tok)
			if d.Allowed {
				// Whatever was presented, an accepted identity is what was signed.
				id := d.Identity
				if id.Tool != tool || id.Audience != aud || !slices.Equal(id.Scopes, sorted(scopes)) || !slices.Equal(id.Downstream, sorted(down)) {
					t.Fatalf("presentation %d accepted an identity the gateway did not sign: %+v", n, id)
				}
			}
			// The model of what the gateway signed.
			want := reason.Reason("")
			isEntry := called == tool && aud == svc
			listed := slices.Contains(down, called)
			declared, known := fuzzDeclared[called]
			switch {
			case isEntry && !entryUsed:
				entryUsed, want = true, reason.Granted
			case isEntry && (!forwarded || !listed):
				want = reason.IdentityReplayed
			case !forwarded && aud != svc:
				want = reason.WrongAudience
			case !forwarded:
				want = reason.WrongTool
			case !listed:
				want = reason.DownstreamNotAllowed
			case !known || (len(declared) > 0 && len(intersectScopes(declared, scopes)) == 0):
				want = reason.InsufficientScope
			case fwdUses >= uses:
				want = reason.IdentityReplayed
			default:
				fwdUses++
				want = reason.Forwarded
			}
			if altered {
				if d.Allowed && d.Reason != want {
					t.Fatalf("altered token accepted as %s, the signed one would be %s", d.Reason, want)
				}
				continue
			}
			if d.Reason != want {
				t.Fatalf("presentation %d of %s (aud %s, list %q, scopes %q) at %s: %s (%v), want %s",
					n, tool, aud, down, scopes, called, d.Reason, d.Err, want)
			}
		}
	})
}

// service is the service part of a canonical endpoint name.
func service(canonical string) string {
	parts := strings.Split(canonical, ".")
	return strings.Join(parts[:len(parts)-2], ".")
}

func sorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func intersectScopes(declared, held []string) []string {
	var out []string
	for _, d := range declared {
		if slices.Contains(held, d) {
			out = append(out, d)
		}
	}
	return out
}
