package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/console"
	"github.com/tracegate/tracegate/gateway/policy"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/telemetry"
)

// implementation is what the gateway reports as its MCP server identity.
var implementation = mcp.Implementation{Name: "tracegate", Title: "tracegate MCP gateway for go-micro", Version: telemetry.Version}

// Gateway serves the tools of a go-micro registry over MCP. Every request, on
// every transport, runs through one middleware chain registered in
// [Gateway.pipeline].
type Gateway struct {
	opts      Options
	server    *mcp.Server
	catalog   *catalog
	discovery *discovery
	emitter   *telemetry.Emitter
	minter    *policy.Minter
	recorder  *audit.Recorder

	// The pipeline: its steps, registered once in order, and the
	// transports' fronts.
	chain    chain
	tracing  *tracing
	auditor  *auditor
	admitter *admitter
	caller   *caller
	front    *front

	ownClient *microkit.Client // closed with the gateway when we built it
	draining  atomic.Bool      // shutting down: /readyz answers 503
	policies  *policyStore     // the current scope policy and limits
	cfgFile   *policyFile      // Options.ConfigFile: reloads and write-back; nil without

	console    *console.Console // nil unless Config.Console.Enabled
	consoleCfg console.Config

	mu      sync.Mutex
	started bool
	life    context.Context // ends at Close: JWKS cache, discovery
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New validates opts and builds a gateway. Call [Gateway.Start] to discover
// tools, then serve it with [Gateway.Handler] or [Gateway.ServeStdio].
func New(opts Options) (*Gateway, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	opts.Config = opts.Config.withDefaults()
	g := &Gateway{opts: opts}
	g.life, g.cancel = context.WithCancel(context.WithoutCancel(opts.Context))
	if err := g.build(); err != nil {
		return nil, errors.Join(err, g.Close())
	}
	return g, nil
}

func (g *Gateway) build() error {
	o := g.opts
	var err error
	if g.tracing, err = newTracing(o); err != nil {
		return fmt.Errorf("gateway: metrics: %w", err)
	}
	g.emitter = telemetry.NewEmitter(o.LoggerProvider, telemetry.ScopeName)
	if o.Client == nil {
		c, err := microkit.NewClient(
			microkit.WithRegistry(o.Registry),
			microkit.WithCallWrappers(telemetry.NewCallWrapper(
				telemetry.WithTracerProvider(o.TraceProvider),
				telemetry.WithPropagators(o.Propagator))),
		)
		if err != nil {
			return fmt.Errorf("gateway: client: %w", err)
		}
		g.ownClient, o.Client = c, c
	}

	g.server = mcp.NewServer(&implementation, &mcp.ServerOptions{
		// Prompts and resources: the SDK answers their list methods (empty),
		// and a server that answers them must declare them.
		Capabilities: &mcp.ServerCapabilities{
			Tools:     &mcp.ToolCapabilities{ListChanged: true},
			Prompts:   &mcp.PromptCapabilities{},
			Resources: &mcp.ResourceCapabilities{},
		},
		SetCacheable: g.setCacheable,
	})
	g.server.AddReceivingMiddleware(g.bridge)
	g.catalog = newCatalog(g.server, g.toolHandler, o.Logger)
	if g.ownClient != nil {
		g.catalog.warm = g.ownClient.Warm
	}
	g.discovery = &discovery{reg: o.Registry, cat: g.catalog, cfg: o.Config, logger: o.Logger}

	verifier, err := newVerifier(g.life, o)
	if err != nil {
		return err
	}
	if g.policies, err = newPolicyStore(o.Config.Policy, o.Limiter); err != nil {
		return err
	}
	if o.ConfigFile != "" {
		g.cfgFile = newPolicyFile(o.ConfigFile)
	}
	if g.minter, err = newMinter(o); err != nil {
		return err
	}
	var feed *console.Feed
	if o.Config.Console.Enabled {
		feed = console.NewFeed(0)
		o.AuditSinks = append(slices.Clone(o.AuditSinks), feed)
	}
	if g.recorder, err = newRecorder(o, g.emitter); err != nil {
		return err
	}
	c := o.Config
	sess, err := g.newSessions()
	if err != nil {
		return err
	}
	inflight := newBudget(c.MaxInflightBytes, c.MaxInflightBytesPerPrincipal)
	g.admitter = &admitter{verifier: verifier, policies: g.policies, catalog: g.catalog,
		sessions: sess, emitter: g.emitter,
		baseline: c.Auth.BaselineScopes}
	g.auditor = &auditor{recorder: g.recorder, policies: g.policies, logger: o.Logger,
		anon: newAnonAudit(c.UnauthenticatedAuditRate, g.recorder, o.Logger)}
	g.caller = &caller{recorder: g.recorder, minter: g.minter, dispatcher: &dispatcher{client: o.Client}, auditor: g.auditor, admitter: g.admitter,
		catalog: g.catalog}
	g.pipeline()
	g.front = newFront(g, sess, inflight)
	if feed != nil {
		return g.newConsole(feed)
	}
	return nil
}

// pipeline registers the chain in one place, outermost first: tracing (so
// every request, refusals included, has a span), audit (one record per
// request), admission (sessions, authorize, limit, arguments). The terminal
// (the SDK's handler, or the caller for a tools/call) is the transport's.
func (g *Gateway) pipeline() {
	g.chain = chain{g.tracing, g.auditor, g.admitter}
}

// setCacheable marks list results private when callers see different
// tool lists (authentication on), so shared caches do not mix them.
func (g *Gateway) setCacheable(_ context.Context, _ mcp.Request, c *mcp.Cacheable) {
	if g.admitter != nil && g.admitter.verifier != nil {
		c.CacheScope = "private"
	}
}

// Start reads the registry once and then keeps the tool list live until
// [Gateway.Close] or ctx ends.
func (g *Gateway) Start(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return nil
	}
	run, stop := context.WithCancel(g.life)
	g.wg.Go(func() {
		defer stop()
		select {
		case <-ctx.Done():
		case <-run.Done():
		}
	})
	watching := make(chan struct{})
	g.wg.Go(func() { g.discovery.run(run, watching) })
	g.wg.Go(func() { g.auditor.anon.run(run) })
	g.wg.Go(func() { g.sweepSessions(run) })
	if g.cfgFile != nil {
		g.wg.Go(func() { g.watchConfig(run) })
	}
	<-watching
	if err := g.discovery.syncAll(); err != nil { // includes tools left out for their names: a clear error at start
		stop()
		return err
	}
	g.started = true
	return nil
}

// sweepSessions ends idle sessions until ctx ends.
func (g *Gateway) sweepSessions(ctx context.Context) {
	every := min(time.Minute, max(time.Second, g.opts.Config.Sessions.IdleTimeout/4))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			g.admitter.sessions.sweep(ctx)
		}
	}
}

// IdentityPublicKey is the key services verify downstream identities with
// (also served as a JWKS by [Gateway.Handler]).
func (g *Gateway) IdentityPublicKey() ed25519.PublicKey { return g.minter.PublicKey() }

// Close stops discovery, flushes the audit trail and releases what the
// gateway built. Serving transports are stopped by their owners ([Serve]
// drains HTTP first).
func (g *Gateway) Close() error {
	g.cancel()
	if g.console != nil {
		g.console.Close()
	}
	g.wg.Wait()
	var errs []error
	if g.server != nil {
		g.closeSessions()
	}
	if g.recorder != nil {
		errs = append(errs, g.recorder.Close(context.WithoutCancel(g.opts.Context)))
	}
	if g.policies != nil {
		errs = append(errs, g.policies.close())
	}
	if g.ownClient != nil {
		errs = append(errs, g.ownClient.Close())
	}
	if g.admitter != nil && g.admitter.sessions != nil {
		g.admitter.sessions.endStreams()
	}
	return errors.Join(errs...)
}

// closeSessions ends every MCP session still open (stateful HTTP sessions
// live until their client deletes them).
func (g *Gateway) closeSessions() {
	var open []*mcp.ServerSession
	for ss := range g.server.Sessions() {
		open = append(open, ss)
	}
	for _, ss := range open {
		_ = ss.Close()
	}
}
