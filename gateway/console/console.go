package console

import (
	"context"
	"errors"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// Paths the console serves (all under Path).
const (
	Path               = "/console"
	ClientMetadataPath = Path + "/oauth-client.json"
	LoginPath          = Path + "/login"
	CallbackPath       = Path + "/callback"
	LogoutPath         = Path + "/logout"
	APIPath            = Path + "/api"
	StaticPath         = Path + "/static/"
)

// Console serves the operator console. Build it with [New] and serve
// [Console.Handler] at [Path].
type Console struct {
	cfg      Config
	backend  Backend
	feed     *Feed
	verifier policy.Verifier
	issuer   string
	http     *http.Client
	logger   *log.Logger
	now      func() time.Time
	jaeger   *jaegerapi.Client // nil without Config.JaegerURL
	pages    pages

	sessions *store[session]
	logins   *store[login]

	metaMu sync.Mutex
	meta   *policy.AuthServerMetadata

	life   context.Context // ends at Close: live streams end with it
	cancel context.CancelFunc
}

// Option configures a [Console].
type Option interface{ apply(*Console) }

type optionFunc func(*Console)

func (f optionFunc) apply(c *Console) { f(c) }

// WithVerifier verifies console tokens: it must require the console's
// audience (Config.Resource) and the issuer operators sign in with.
// Required.
func WithVerifier(v policy.Verifier) Option {
	return optionFunc(func(c *Console) {
		if v != nil {
			c.verifier = v
		}
	})
}

// WithIssuer names the authorization server operators sign in with; its
// RFC 8414 metadata gives the authorization and token endpoints.
func WithIssuer(issuer string) Option { return optionFunc(func(c *Console) { c.issuer = issuer }) }

// WithFeed sets the feed of audit records (default: a new one, which sees
// no record unless registered as a sink).
func WithFeed(f *Feed) Option {
	return optionFunc(func(c *Console) {
		if f != nil {
			c.feed = f
		}
	})
}

// WithHTTPClient is used for the issuer's metadata and token endpoint and
// for Jaeger's API (default: a client with a 10 s timeout).
func WithHTTPClient(h *http.Client) Option {
	return optionFunc(func(c *Console) {
		if h != nil {
			c.http = h
		}
	})
}

// WithLogger receives sign-ins, refusals and failures (never a token).
func WithLogger(l *log.Logger) Option {
	return optionFunc(func(c *Console) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *Console) {
		if now != nil {
			c.now = now
		}
	})
}

// Errors returned by [New].
var (
	ErrNoBackend  = errors.New("console: a Backend is required")
	ErrNoVerifier = errors.New("console: a verifier of console tokens is required (WithVerifier)")
)

// Bounds of the in-memory stores.
const (
	maxSessions = 10000
	maxLogins   = 1000
	loginTTL    = 10 * time.Minute
)

// New builds a console for cfg over b.
func New(cfg Config, b Backend, opts ...Option) (*Console, error) {
	cfg.Enabled = true
	cfg = cfg.withDefaults()
	if cfg.Resource == "" {
		return nil, ErrNoResource
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, backend: b, http: &http.Client{Timeout: 10 * time.Second},
		logger: log.New(log.Writer(), "tracegate console: ", log.LstdFlags), now: time.Now}
	for _, o := range opts {
		o.apply(c)
	}
	switch {
	case b == nil:
		return nil, ErrNoBackend
	case c.verifier == nil:
		return nil, ErrNoVerifier
	}
	if c.feed == nil {
		c.feed = NewFeed(0)
	}
	if cfg.JaegerURL != "" {
		c.jaeger = &jaegerapi.Client{URL: cfg.JaegerURL, HTTP: c.http}
	}
	c.sessions = newStore[session](maxSessions, c.now)
	c.logins = newStore[login](maxLogins, c.now)
	c.pages = parsePages()
	c.life, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Close ends the live streams (so an HTTP server's shutdown is not held by
// them).
func (c *Console) Close() { c.cancel() }

// Config returns the configuration in effect (defaults filled).
func (c *Console) Config() Config { return c.cfg }

// Feed returns the console's feed of audit records.
func (c *Console) Feed() *Feed { return c.feed }

// Handler serves the console at [Path] (requests carry the full path).
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	// Public: what signing in needs, and the static assets.
	mux.HandleFunc("GET "+ClientMetadataPath, c.serveClientMetadata)
	mux.HandleFunc("GET "+LoginPath, c.serveLogin)
	mux.HandleFunc("GET "+CallbackPath, c.serveCallback)
	mux.HandleFunc("GET "+Path+"/signed-out", c.serveSignedOut)
	mux.Handle("GET "+StaticPath, staticHandler())
	// Pages: a session (or a bearer token); changes need the CSRF token.
	mux.HandleFunc("GET "+Path+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Path+"/tools", http.StatusSeeOther)
	})
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Path+"/tools", http.StatusSeeOther)
	})
	mux.Handle("POST "+LogoutPath, c.page(c.serveLogout))
	mux.Handle("GET "+Path+"/tools", c.page(c.serveTools))
	mux.Handle("GET "+Path+"/decisions", c.page(c.serveDecisions))
	mux.Handle("GET "+Path+"/message", c.page(c.serveMessage))
	mux.Handle("GET "+Path+"/audit", c.page(c.serveAudit))
	mux.Handle("GET "+Path+"/limits", c.page(c.serveLimits))
	mux.Handle("GET "+Path+"/manage", c.page(c.serveManage))
	mux.Handle("POST "+Path+"/manage", c.page(c.serveManagePost))
	// JSON API: a bearer token of the console audience (or the session).
	mux.Handle("GET "+APIPath+"/tools", c.api(c.apiTools))
	mux.Handle("GET "+APIPath+"/policy", c.api(c.apiPolicy))
	mux.Handle("PUT "+APIPath+"/policy", c.api(c.apiPutPolicy))
	mux.Handle("GET "+APIPath+"/decisions", c.api(c.apiDecisions))
	mux.Handle("GET "+APIPath+"/stream", c.api(c.apiStream))
	mux.Handle("GET "+APIPath+"/message", c.api(c.apiMessage))
	mux.Handle("GET "+APIPath+"/audit", c.api(c.apiAudit))
	mux.Handle("GET "+APIPath+"/audit/search", c.api(c.apiAuditSearch))
	mux.Handle("GET "+APIPath+"/limits", c.api(c.apiLimits))
	mux.Handle("GET "+APIPath+"/me", c.api(c.apiMe))
	return securityHeaders(mux)
}

// securityHeaders: no framing, no sniffing, no referrer beyond the origin,
// and a content security policy that allows only the console's own
// scripts and styles.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
