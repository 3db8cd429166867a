package guard

import (
	"context"
	stderrors "errors"
	"fmt"
	"github.com/tracegate/tracegate/gateway/reason"
	"strconv"
	"time"

	"github.com/tracegate/tracegate/gateway/policy/ratestore"
	"go-micro.dev/v5/errors"
	"go-micro.dev/v5/server"
)

// Decision is the outcome of one guarded call, passed to the decision hook.
type Decision struct {
	Allowed    bool
	Reason     reason.Reason // from gateway/reason
	Code       int32         // 0 when allowed, else 401, 403 or 429
	Service    string
	Endpoint   string
	Identity   Identity // zero when no identity could be verified
	Required   []string // scopes the endpoint declares
	Matched    []string // declared scopes the identity holds
	RetryAfter time.Duration
	Err        error // cause of a denial; errors.Is with the Err… sentinels
}

type wrapper struct {
	cfg    config
	keys   *keySource
	scopes *endpointScopes
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
		scopes: &endpointScopes{static: cfg.endpointScopes, srv: cfg.srv, now: cfg.now},
	}
	if cfg.limit > 0 {
		w.limits = ratestore.New(cfg.maxSubjects, 0)
	}
	return w, nil
}

func (w *wrapper) wrap(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp interface{}) error {
		d := w.decide(ctx, req.Service(), req.Endpoint())
		if w.cfg.hook != nil {
			w.cfg.hook(ctx, d)
		}
		if !d.Allowed {
			return toMicroError(req.Service(), d)
		}
		return next(ContextWithIdentity(ctx, d.Identity), req, rsp)
	}
}

func (w *wrapper) decide(ctx context.Context, service, endpoint string) Decision {
	d := Decision{Service: service, Endpoint: endpoint, Code: 401}
	raw, ok := TokenFromMetadata(ctx)
	if !ok {
		return deny(d, reason.IdentityMissing, ErrMissingIdentity)
	}
	aud := w.cfg.audience
	if aud == "" {
		aud = service
	}
	id, err := w.verifyToken(ctx, raw, aud)
	forwarded := false
	if err != nil {
		if !stderrors.Is(err, ErrWrongAudience) {
			return deny(d, reason.IdentityInvalid, err)
		}
		d.Identity = id
		if !w.cfg.forwarded {
			return deny(d, reason.WrongAudience, err)
		}
		forwarded = true
	}
	d.Identity, d.Code = id, 403
	if !forwarded {
		if denied, ok := w.checkTool(&d, id, service, endpoint); !ok {
			return denied
		}
	}
	if w.limits != nil {
		now := w.cfg.now()
		r := w.limits.Get(id.Subject, now, w.cfg.limit, w.cfg.burst).ReserveN(now, 1)
		if delay := r.DelayFrom(now); !r.OK() || delay > 0 {
			r.CancelAt(now)
			d.Code, d.RetryAfter = 429, delay
			return deny(d, reason.RateLimited, fmt.Errorf("%w: subject %q", ErrRateLimited, id.Subject))
		}
	}
	d.Allowed, d.Reason, d.Code = true, reason.Granted, 0
	if forwarded {
		d.Reason = reason.Forwarded
	}
	return d
}

// checkTool requires the identity to be for this endpoint's tool and to
// hold one of the endpoint's declared scopes.
func (w *wrapper) checkTool(d *Decision, id Identity, service, endpoint string) (Decision, bool) {
	if want := w.cfg.toolName(service, endpoint); id.Tool != want {
		return deny(*d, reason.WrongTool, fmt.Errorf("%w: %q, called %q", ErrWrongTool, id.Tool, want)), false
	}
	d.Required = w.scopes.lookup(endpoint)
	if len(d.Required) > 0 {
		if d.Matched = intersect(d.Required, id.Scopes); len(d.Matched) == 0 {
			return deny(*d, reason.InsufficientScope,
				fmt.Errorf("%w: %s requires one of %q", ErrInsufficientScope, endpoint, d.Required)), false
		}
	}
	return *d, true
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
