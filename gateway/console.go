package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
	"github.com/tracegate/tracegate/gateway/policy"
)

// ErrConsoleNoAuth: the console needs the issuer operators sign in with.
var ErrConsoleNoAuth = errors.New("gateway: the console needs auth.issuer (or jwks_url), or Options.ConsoleVerifier: operators sign in with the same issuer")

// consoleConfig is Config.Console with its resource defaulted from
// auth.resource: the same origin, path /console.
func (c Config) consoleConfig() console.Config {
	cc := c.Console
	if cc.Resource == "" && c.Auth.Resource != "" {
		if u, err := url.Parse(c.Auth.Resource); err == nil && u.Host != "" {
			cc.Resource = u.Scheme + "://" + u.Host + console.Path
		}
	}
	return cc
}

// newConsole builds the console over this gateway, with feed registered as
// an audit sink.
func (g *Gateway) newConsole(feed *console.Feed) error {
	o := g.opts
	cc := o.Config.consoleConfig()
	v := o.ConsoleVerifier
	if v == nil {
		jv, err := newJWTVerifier(g.life, o.Config.Auth, cc.Resource)
		if err != nil {
			return fmt.Errorf("gateway: console: %w", err)
		}
		v = jv
	}
	issuer := o.Config.Auth.Issuer
	c, err := console.New(cc, &consoleBackend{g: g}, console.WithVerifier(v), console.WithIssuer(issuer),
		console.WithFeed(feed), console.WithLogger(o.Logger))
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.console, g.consoleCfg = c, c.Config()
	return nil
}

// mountConsole serves the console and its RFC 9728 resource metadata.
func (g *Gateway) mountConsole(mux *http.ServeMux) {
	if g.console == nil {
		return
	}
	h := g.console.Handler()
	mux.Handle(console.Path, h)
	mux.Handle(console.Path+"/", h)
	servers := g.opts.Config.Auth.AuthorizationServers
	if len(servers) == 0 && g.opts.Config.Auth.Issuer != "" {
		servers = []string{g.opts.Config.Auth.Issuer}
	}
	mux.Handle(policy.WellKnownProtectedResource+console.Path, policy.MetadataHandler(
		policy.NewProtectedResourceMetadata(g.consoleCfg.Resource, servers, []string{g.consoleCfg.Scope})))
}

// consoleBackend is the gateway as the console sees it.
type consoleBackend struct {
	g *Gateway

	mu         sync.Mutex // the last verification
	report     *audit.Report
	verifyErr  string
	verifiedAt time.Time
}

var _ console.Backend = (*consoleBackend)(nil)

// Tools resolves every tool under one policy snapshot.
func (b *consoleBackend) Tools() console.ToolSet {
	pol := b.g.policies.load()
	ts := console.ToolSet{PolicyHash: pol.hash, Policy: pol.cfg}
	for _, e := range b.g.catalog.entries() {
		ts.Tools = append(ts.Tools, console.Tool{
			Name: e.Name, Canonical: e.Canonical, Service: e.Service, Endpoint: e.Endpoint,
			Description: e.Description, InputSchema: e.Schema.raw, Declared: e.Scopes,
			Requirement: pol.scopes.Resolve(e.Canonical, e.Scopes),
			Limits:      pol.cfg.RateLimit.LimitsFor(e.Canonical),
		})
	}
	return ts
}

func (b *consoleBackend) Policy() console.PolicyState {
	cfg, hash := b.g.CurrentPolicy()
	st := console.PolicyState{Config: cfg, Hash: hash, ReadOnly: b.g.PolicyReadOnly(), File: b.g.opts.ConfigFile}
	if b.g.policies.external != nil {
		st.LimitsReadOnly = "the rate limits are served by a limiter shared by replicas (e.g. --redis); change them in every replica's configuration and restart"
	}
	return st
}

// UpdatePolicy maps the gateway's errors to the console's.
func (b *consoleBackend) UpdatePolicy(ctx context.Context, base string, next policy.Config, op console.Operator) (string, string, error) {
	before, after, err := b.g.UpdatePolicy(ctx, base, next, PolicyChange{Subject: op.Subject, Client: op.Client, Source: SourceConsole})
	switch {
	case err == nil:
	case errors.Is(err, ErrPolicyReadOnly), errors.Is(err, ErrLimitsExternal):
		err = fmt.Errorf("%w: %w", console.ErrReadOnly, err)
	case errors.Is(err, ErrPolicyConflict):
		err = fmt.Errorf("%w: %w", console.ErrConflict, err)
	case errors.Is(err, ErrPolicyInvalid):
		err = fmt.Errorf("%w: %w", console.ErrInvalid, err)
	}
	return before, after, err
}

// nearestLimiter is a limiter that can tell the buckets closest to empty
// (policy.MemoryLimiter).
type nearestLimiter interface {
	Nearest(n int) []policy.BucketState
}

func (b *consoleBackend) Limits() console.LimitState {
	pol := b.g.policies.load()
	st := console.LimitState{Config: pol.cfg.RateLimit}
	switch l := pol.limiter.(type) {
	case nil:
		st.Note = "No rate limits are configured."
	case nearestLimiter:
		st.Nearest = l.Nearest(20)
	default:
		st.Note = "The limiter is shared by replicas (e.g. Redis) and does not report its buckets."
	}
	return st
}

// Audit reports the chain's head and, when asked, verifies the files with
// the gateway's own keys (the public half of the checkpoint key and the
// MAC key).
func (b *consoleBackend) Audit(ctx context.Context, verify bool) console.AuditState {
	a := b.g.opts.Config.Audit
	st := console.AuditState{Head: b.g.recorder.Head(), Mode: a.Mode, File: a.File.Path}
	if err := b.g.recorder.Ready(); err != nil {
		st.Ready = err.Error()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if verify && a.File.Path != "" {
		rep, err := verifyAudit(ctx, a)
		b.report, b.verifyErr, b.verifiedAt = nil, "", time.Now()
		if err != nil {
			b.verifyErr = err.Error()
		} else {
			b.report = &rep
		}
	}
	st.Report, st.VerifyError, st.VerifiedAt = b.report, b.verifyErr, b.verifiedAt
	return st
}

// verifyAudit verifies the audit files as `tracegate audit verify` does.
func verifyAudit(ctx context.Context, a audit.Config) (audit.Report, error) {
	files, err := audit.Segments(a.File.Path)
	if err != nil {
		return audit.Report{}, err
	}
	var vc audit.VerifyConfig
	if a.File.SigningKeyFile != "" {
		k, err := audit.LoadSigningKey(a.File.SigningKeyFile)
		if err != nil {
			return audit.Report{}, err
		}
		vc.PublicKey = k.Public().(ed25519.PublicKey)
	}
	if a.MACKeyFile != "" {
		if vc.MACKey, err = audit.LoadMACKey(a.MACKeyFile); err != nil {
			return audit.Report{}, err
		}
	}
	return audit.VerifyFiles(ctx, vc, files...)
}
