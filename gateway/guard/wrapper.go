package guard

import (
	"context"
	stderrors "errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go-micro.dev/v5/errors"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/policy/ratestore"
	"github.com/tracegate/tracegate/gateway/reason"
)

// Decision is the outcome of one guarded call, passed to the decision hook.
type Decision struct {
	Allowed bool
	Reason  reason.Reason // from gateway/reason: Granted (entry hop), Forwarded, or why not
	Code    int32         // 0 when allowed, else 401, 403, 429 or 503
	// Service and Endpoint are the called ones ("users", "Users.Read").
	Service  string
	Endpoint string
	Identity Identity // zero when no identity could be verified
	// Required are the scopes the endpoint declares and Matched those the
	// identity holds; set on forwarded hops only (the entry hop follows the
	// gateway's decision).
	Required   []string
	Matched    []string
	RetryAfter time.Duration
	Err        error // cause of a denial; errors.Is with the Err… sentinels
}

type wrapper struct {
	cfg    config
	keys   *keySource
	scopes *endpointScopes
	replay ReplayStore
	limits *ratestore.Store
}

// New returns a go-micro handler wrapper enforcing the downstream identity,
// or ErrNoKey if neither WithPublicKey nor WithJWKSURL is given.
func New(opts ...Option) (server.HandlerWrapper, error) {
	w, err := newWrapper(opts...)
	if err != nil {
		return nil, err
	}
	return w.wrap, nil
}

// NewHandlerWrapper is New for use inline in server options; like
// regexp.MustCompile it panics on a configuration error (no key), as a
// service without a key would refuse every call.
func NewHandlerWrapper(opts ...Option) server.HandlerWrapper {
	w, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return w
}

func newWrapper(opts ...Option) (*wrapper, error) {
	cfg := newConfig(opts)
	keys, err := newKeySource(&cfg)
	if err != nil {
		return nil, err
	}
	w := &wrapper{
		cfg:    cfg,
		keys:   keys,
		scopes: &endpointScopes{static: cfg.endpointScopes, reg: cfg.registry, srv: cfg.srv, now: cfg.now},
		replay: cfg.replay,
	}
	if w.replay == nil {
		w.replay = newMemoryReplayStore(cfg.replayEntries, cfg.now)
	}
	if cfg.limit > 0 {
		w.limits = ratestore.New(cfg.maxSubjects, 0)
	}
	return w, nil
}

func (w *wrapper) wrap(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp interface{}) error {
		d := w.decideFor(ctx, req.Service(), req.Endpoint())
		if w.cfg.hook != nil {
			w.cfg.hook(ctx, d)
		}
		if !d.Allowed {
			return toMicroError(req.Service(), d)
		}
		return next(ContextWithIdentity(ctx, d.Identity), req, rsp)
	}
}

// decideFor decides a request addressed to service: only this guard's own
// service name counts (the name a request carries is the caller's choice).
func (w *wrapper) decideFor(ctx context.Context, called, endpoint string) Decision {
	own := w.ownName()
	switch {
	case own == "":
		return deny(Decision{Service: called, Endpoint: endpoint, Code: 401}, reason.WrongAudience, ErrNoServiceName)
	case called != own:
		return deny(Decision{Service: called, Endpoint: endpoint, Code: 401}, reason.WrongAudience,
			fmt.Errorf("%w: request addressed to %q, this is %q", ErrWrongAudience, called, own))
	}
	return w.decide(ctx, own, endpoint)
}

// ownName is the name of the protected service: WithAudience, else the
// configured server's.
func (w *wrapper) ownName() string {
	if w.cfg.audience != "" {
		return w.cfg.audience
	}
	if w.cfg.srv != nil {
		if srv := w.cfg.srv(); srv != nil {
			return srv.Options().Name
		}
	}
	return ""
}

// decide runs the checks in order; the first failure decides. See the
// package documentation for the table of checks.
func (w *wrapper) decide(ctx context.Context, service, endpoint string) Decision {
	d := Decision{Service: service, Endpoint: endpoint, Code: 401}
	raw, ok := TokenFromMetadata(ctx)
	if !ok {
		return deny(d, reason.IdentityMissing, ErrMissingIdentity)
	}
	id, err := w.verifyToken(ctx, raw)
	if err != nil {
		return deny(d, reason.IdentityInvalid, err)
	}
	d.Identity = id
	name := w.cfg.toolName(service, endpoint)
	aud := service
	listed := slices.Contains(id.Downstream, name)
	if id.Audience == aud && id.Tool == name {
		// Entry hop: the gateway authorized exactly this endpoint for this
		// identity (with its overrides) and signed that decision, so the
		// endpoint's declared scopes are not checked again here. Once.
		n, err := w.replay.Use(ctx, "entry\x00"+id.ID, id.Expiry.Add(w.cfg.leeway))
		switch {
		case err != nil:
			return storeDenial(d, err)
		case n == 1:
			return w.limit(d, reason.Granted)
		case !w.cfg.forwarded || !listed:
			return deny(d, reason.IdentityReplayed, fmt.Errorf("%w: entry hop %s presented %d times", ErrReplayed, name, n))
		}
		// Presented again at its own tool, which it also lists downstream
		// (an endpoint that calls itself): a forwarded hop.
	}
	d.Code = 403
	switch {
	case !w.cfg.forwarded && id.Audience != aud:
		d.Code = 401
		return deny(d, reason.WrongAudience, fmt.Errorf("%w: aud %q, want %q", ErrWrongAudience, id.Audience, aud))
	case !w.cfg.forwarded:
		return deny(d, reason.WrongTool, fmt.Errorf("%w: %q, called %q", ErrWrongTool, id.Tool, name))
	case !listed:
		return deny(d, reason.DownstreamNotAllowed, fmt.Errorf("%w: %s (identity for %s)", ErrDownstreamNotAllowed, name, id.Tool))
	}
	if denied, ok := w.checkScopes(&d, id, service, endpoint); !ok {
		return denied
	}
	n, err := w.replay.Use(ctx, "forwarded\x00"+id.ID+"\x00"+name, id.Expiry.Add(w.cfg.leeway))
	switch {
	case err != nil:
		return storeDenial(d, err)
	case n > w.cfg.forwardedUses:
		d.Code = 401
		return deny(d, reason.IdentityReplayed,
			fmt.Errorf("%w: forwarded to %s %d times, at most %d", ErrReplayed, name, n, w.cfg.forwardedUses))
	}
	return w.limit(d, reason.Forwarded)
}

// checkScopes requires, on a forwarded hop, one of the scopes the endpoint
// itself declares.
func (w *wrapper) checkScopes(d *Decision, id Identity, service, endpoint string) (Decision, bool) {
	declared, known := w.scopes.lookup(service, endpoint)
	if !known && w.scopes.configured() {
		return deny(*d, reason.InsufficientScope,
			fmt.Errorf("%w: declared scopes of %s unknown", ErrInsufficientScope, endpoint)), false
	}
	d.Required = declared
	if len(declared) > 0 {
		if d.Matched = intersect(declared, id.Scopes); len(d.Matched) == 0 {
			return deny(*d, reason.InsufficientScope,
				fmt.Errorf("%w: %s requires one of %q", ErrInsufficientScope, endpoint, declared)), false
		}
	}
	return *d, true
}

// limit applies the per-subject rate limit and allows with why.
func (w *wrapper) limit(d Decision, why reason.Reason) Decision {
	if w.limits != nil {
		now := w.cfg.now()
		r := w.limits.Get(d.Identity.Subject, now, w.cfg.limit, w.cfg.burst).ReserveN(now, 1)
		if delay := r.DelayFrom(now); !r.OK() || delay > 0 {
			r.CancelAt(now)
			d.Code, d.RetryAfter = 429, delay
			return deny(d, reason.RateLimited, fmt.Errorf("%w: subject %q", ErrRateLimited, d.Identity.Subject))
		}
	}
	d.Allowed, d.Reason, d.Code, d.Err = true, why, 0, nil
	return d
}

// storeDenial refuses when the replay store cannot count: a full in-memory
// store is a rate limit with a retry-after, any other failure a 503.
func storeDenial(d Decision, err error) Decision {
	var full interface{ RetryAfter() time.Duration }
	if stderrors.As(err, &full) {
		d.Code, d.RetryAfter = 429, full.RetryAfter()
		return deny(d, reason.RateLimited, err)
	}
	d.Code = 503
	return deny(d, reason.Internal, fmt.Errorf("%w: %w", ErrReplayStore, err))
}

func deny(d Decision, why reason.Reason, err error) Decision {
	d.Allowed, d.Reason, d.Err = false, why, err
	return d
}

// toMicroError maps a denial to a go-micro error with the decision's code.
// The detail names the reason only; token contents are never echoed.
func toMicroError(service string, d Decision) error {
	switch d.Code {
	case 401:
		return errors.Unauthorized(service, "%s", d.Reason)
	case 403:
		return errors.Forbidden(service, "%s", d.Reason)
	default:
		detail := string(d.Reason)
		if d.RetryAfter > 0 {
			detail += "; retry after " + strconv.FormatFloat(d.RetryAfter.Seconds(), 'f', 3, 64) + "s"
		}
		return errors.New(service, detail, d.Code)
	}
}
