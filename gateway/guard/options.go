package guard

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"golang.org/x/time/rate"
)

// Option configures [NewHandlerWrapper].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	publicKey      ed25519.PublicKey
	jwksURL        string
	httpClient     *http.Client
	refetchEvery   time.Duration
	audience       string
	issuer         string
	leeway         time.Duration
	toolName       func(service, endpoint string) string
	endpointScopes map[string][]string
	registry       registry.Registry
	srv            func() server.Server
	limit          rate.Limit
	burst          int
	maxSubjects    int
	hook           func(context.Context, Decision)
	forwarded      bool
	forwardedUses  int64
	replay         ReplayStore
	replayEntries  int
	now            func() time.Time
}

// DefaultForwardedUses is how many times one identity may be presented at
// one endpoint on forwarded hops unless WithForwardedUses says otherwise.
const DefaultForwardedUses = 16

func newConfig(opts []Option) config {
	c := config{
		httpClient:    &http.Client{Timeout: 5 * time.Second},
		refetchEvery:  10 * time.Second,
		leeway:        5 * time.Second,
		toolName:      func(service, endpoint string) string { return service + "." + endpoint },
		maxSubjects:   10_000,
		forwardedUses: DefaultForwardedUses,
		now:           time.Now,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithPublicKey verifies identities with the gateway's Ed25519 public key.
func WithPublicKey(k ed25519.PublicKey) Option {
	return optionFunc(func(c *config) {
		if len(k) == ed25519.PublicKeySize {
			c.publicKey = k
		}
	})
}

// WithJWKSURL verifies identities with the keys served by the gateway's JWKS
// endpoint. Keys are fetched on first use and again, at most once per 10s,
// when a token names an unknown key id. WithPublicKey takes precedence.
func WithJWKSURL(url string) Option {
	return optionFunc(func(c *config) { c.jwksURL = url })
}

// WithHTTPClient sets the client used to fetch the JWKS; nil is ignored.
func WithHTTPClient(h *http.Client) Option {
	return optionFunc(func(c *config) {
		if h != nil {
			c.httpClient = h
		}
	})
}

// WithAudience names the service this guard protects: the identities'
// expected aud, and the only service name a request may be addressed to.
// One of WithAudience, WithServer or WithServerFunc is required: the name a
// request carries (go-micro's Micro-Service header) is chosen by the
// caller, and go-micro routes by endpoint alone, so an identity minted for
// "accounts-a" must not be honoured by an "accounts-b" instance that merely
// shares its handler.
func WithAudience(aud string) Option {
	return optionFunc(func(c *config) { c.audience = aud })
}

// WithIssuer additionally requires the identity's iss.
func WithIssuer(iss string) Option {
	return optionFunc(func(c *config) { c.issuer = iss })
}

// WithToolName maps a called service and endpoint ("Posts.Create") to the tool
// name the gateway puts in the identity; default "service.Endpoint".
func WithToolName(f func(service, endpoint string) string) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.toolName = f
		}
	})
}

// WithEndpointScopes declares the scopes of endpoints ("Posts.Create") and
// takes precedence over scopes found through WithHandlers or WithServer.
func WithEndpointScopes(m map[string][]string) Option {
	return optionFunc(func(c *config) {
		if c.endpointScopes == nil {
			c.endpointScopes = make(map[string][]string, len(m))
		}
		for k, v := range m {
			c.endpointScopes[k] = v
		}
	})
}

// WithHandlers reads endpoint scopes from the handlers' endpoint metadata
// ("scopes", comma-separated, as server.WithEndpointScopes stores them).
func WithHandlers(hs ...server.Handler) Option {
	return optionFunc(func(c *config) {
		for _, h := range hs {
			if h == nil {
				continue
			}
			for _, ep := range h.Endpoints() {
				if c.endpointScopes == nil {
					c.endpointScopes = make(map[string][]string)
				}
				if _, ok := c.endpointScopes[ep.Name]; !ok {
					c.endpointScopes[ep.Name] = parseScopes(ep.Metadata["scopes"])
				}
			}
		}
	})
}

// WithServer reads endpoint scopes from the endpoints registered in srv's
// registry under the called service's name (cached for 30s).
func WithServer(srv server.Server) Option {
	return optionFunc(func(c *config) {
		if srv != nil {
			c.srv = func() server.Server { return srv }
		}
	})
}

// WithServerFunc is WithServer for a server built after the wrapper (the
// wrapper is a server option): f is called on each scope lookup and may
// return nil until the server exists.
func WithServerFunc(f func() server.Server) Option {
	return optionFunc(func(c *config) { c.srv = f })
}

// WithRegistry reads endpoint scopes from reg: the endpoints registered
// under the called service's name (cached for 30s per service). One wrapper
// can then guard several services, as the gateway's tests do; it takes
// precedence over WithServer's registry.
func WithRegistry(reg registry.Registry) Option {
	return optionFunc(func(c *config) { c.registry = reg })
}

// WithRateLimit limits each subject to r calls per second with burst b,
// keeping at most WithMaxSubjects buckets. r <= 0 disables the limit.
func WithRateLimit(r float64, b int) Option {
	return optionFunc(func(c *config) {
		if r > 0 && b > 0 {
			c.limit, c.burst = rate.Limit(r), b
		}
	})
}

// WithMaxSubjects bounds the number of per-subject buckets (default 10000).
func WithMaxSubjects(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxSubjects = n
		}
	})
}

// WithDecisionHook is called with every decision, allowed or denied, before
// the handler runs or the error is returned.
func WithDecisionHook(f func(ctx context.Context, d Decision)) Option {
	return optionFunc(func(c *config) { c.hook = f })
}

// WithLeeway sets the clock skew tolerated on exp/iat (default 5s).
func WithLeeway(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d >= 0 {
			c.leeway = d
		}
	})
}

// WithForwardedIdentities accepts identities on forwarded hops: a call made
// by another service while it serves a gateway call (posts, serving
// posts.Posts.Create, calls users.Users.Read with the identity the gateway
// minted for posts.Posts.Create). Such an identity is accepted only if
//
//   - it is genuine and unexpired, like every identity;
//   - the called endpoint ("users.Users.Read") is in the identity's signed
//     downstream list, which the gateway built from the endpoints'
//     tool.Calls declarations (else [ErrDownstreamNotAllowed]);
//   - the identity holds one of the scopes the called endpoint declares (its
//     own declaration, found through WithEndpointScopes, WithHandlers,
//     WithServer or WithRegistry; gateway overrides do not apply here). An
//     endpoint that declares none accepts any identity listing it. If a
//     source is configured but does not know the endpoint, the hop is
//     refused; with no source at all, only the list is checked;
//   - it has been presented at this endpoint at most WithForwardedUses
//     times ([ErrReplayed] after that).
//
// Off by default: then only entry hops (the gateway calling this service's
// own tool) are accepted, and a forwarded identity is refused with
// [ErrWrongAudience] (another service's) or [ErrWrongTool].
func WithForwardedIdentities() Option {
	return optionFunc(func(c *config) { c.forwarded = true })
}

// WithForwardedUses bounds how many times one identity is accepted at one
// endpoint on forwarded hops (default DefaultForwardedUses, 16): a single
// tool call may legitimately call the same downstream endpoint several
// times (one read per listed item), but not without bound. Counted in the
// replay store, per instance unless the store is shared. n <= 0 is ignored.
func WithForwardedUses(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.forwardedUses = int64(n)
		}
	})
}

// WithReplayStore sets where identity presentations are counted (default a
// per-instance [MemoryReplayStore] of DefaultReplayEntries keys). Give
// every instance of a service the same shared store (e.g.
// redisreplay.New) to make an entry-hop identity single-use across
// instances. nil is ignored.
func WithReplayStore(s ReplayStore) Option {
	return optionFunc(func(c *config) {
		if s != nil {
			c.replay = s
		}
	})
}

// WithReplayCacheSize sets the capacity of the default in-memory replay
// store (ignored with WithReplayStore); n <= 0 is ignored.
func WithReplayCacheSize(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.replayEntries = n
		}
	})
}
