package guard

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"time"

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
	srv            func() server.Server
	limit          rate.Limit
	burst          int
	maxSubjects    int
	hook           func(context.Context, Decision)
	forwarded      bool
	now            func() time.Time
}

func newConfig(opts []Option) config {
	c := config{
		httpClient:   &http.Client{Timeout: 5 * time.Second},
		refetchEvery: 10 * time.Second,
		leeway:       5 * time.Second,
		toolName:     func(service, endpoint string) string { return service + "." + endpoint },
		maxSubjects:  10_000,
		now:          time.Now,
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

// WithAudience sets the expected aud; by default it is the name of the
// service being called (request.Service()).
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

// WithServer reads endpoint scopes from the endpoints srv registered in its
// registry (looked up by service name, cached for 30s).
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

// WithForwardedIdentities accepts identities minted for another service's
// tool: the downstream hops of a gateway call (posts calling users while
// serving posts.Posts.Create forwards the caller's identity with aud=posts).
// Such an identity must still be genuine and unexpired; tool and scope checks
// are skipped (the gateway authorized the tool at the entry service) and the
// per-subject rate limit still applies. Off by default: then only calls made
// for this service's own tools are accepted.
func WithForwardedIdentities() Option {
	return optionFunc(func(c *config) { c.forwarded = true })
}
