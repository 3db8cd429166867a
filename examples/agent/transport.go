package agent

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

// Challenge is the WWW-Authenticate Bearer challenge of a 401 or 403
// answer (RFC 6750 §3, RFC 9728 §5.1). On a 403 insufficient_scope, Scope
// is what a step-up token would have to carry.
type Challenge struct {
	Status           int
	Error            string
	Description      string
	Scope            string
	ResourceMetadata string
}

// challengeSink receives the challenge of one MCP request. The sending
// middleware puts one in the request's context; the HTTP transport fills
// it, because the go-sdk client turns the answer into an error without its
// headers.
type challengeSink struct {
	mu sync.Mutex
	c  *Challenge
}

func (s *challengeSink) set(c Challenge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c = &c
}

func (s *challengeSink) get() *Challenge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

type sinkKey struct{}

func withChallengeSink(ctx context.Context) (context.Context, *challengeSink) {
	s := &challengeSink{}
	return context.WithValue(ctx, sinkKey{}, s), s
}

// challengeTransport reports the Bearer challenge of 401 and 403 answers
// to the request's challengeSink.
type challengeTransport struct {
	next http.RoundTripper
}

func (t challengeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rsp, err := t.next.RoundTrip(r)
	if err != nil || (rsp.StatusCode != http.StatusUnauthorized && rsp.StatusCode != http.StatusForbidden) {
		return rsp, err
	}
	if s, ok := r.Context().Value(sinkKey{}).(*challengeSink); ok {
		if c, ok := parseChallenge(rsp.StatusCode, rsp.Header.Values("WWW-Authenticate")); ok {
			s.set(c)
		}
	}
	return rsp, nil
}

// parseChallenge reads the Bearer challenge among headers with the
// go-sdk's RFC 9110 parser.
func parseChallenge(status int, headers []string) (Challenge, bool) {
	cs, err := oauthex.ParseWWWAuthenticate(headers)
	if err != nil {
		return Challenge{}, false
	}
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, "bearer") {
			return Challenge{
				Status:           status,
				Error:            c.Params["error"],
				Description:      c.Params["error_description"],
				Scope:            c.Params["scope"],
				ResourceMetadata: c.Params["resource_metadata"],
			}, true
		}
	}
	return Challenge{}, false
}

// mcpHTTPClient is the MCP session's HTTP client: the bearer token on
// every request, challenges captured, no client timeout (responses may be
// event streams; each call's context bounds it instead).
func mcpHTTPClient(base http.RoundTripper, tok token) *http.Client {
	return &http.Client{Transport: challengeTransport{
		next: &oauth2.Transport{Source: oauth2.StaticTokenSource(tok.Token), Base: base},
	}}
}
