package microkit

import (
	"context"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/registry"
)

// maxFailover bounds how many other nodes one call tries after connections
// were refused.
const maxFailover = 3

// failover returns the call wrapper that, when the connection to the
// chosen node cannot be opened, drops that node and sends the call to
// another one. Only then: such a request never left the client, so sending
// it elsewhere cannot run it twice. Any other failure (including a broken
// connection or a timeout, after which the service may have run the
// request) is returned as it is; client retries stay as configured (the
// gateway dispatches with none).
func (h *healthSelector) failover(next client.CallFunc) client.CallFunc {
	return func(ctx context.Context, node *registry.Node, req client.Request, rsp interface{}, opts client.CallOptions) error {
		err := next(ctx, node, req, rsp, opts)
		if len(opts.Address) > 0 { // the caller chose the address, not the registry
			return err
		}
		for tries := 0; err != nil && dialFailed(err, node) && ctx.Err() == nil; tries++ {
			h.drop(ctx, req.Service(), node, err)
			if tries == maxFailover {
				return err
			}
			nextNode, serr := h.Select(req.Service(), opts.SelectOptions...)
			if serr != nil {
				return err // nothing else to try: the dial error, which IsUnavailable recognises
			}
			if node, serr = nextNode(); serr != nil {
				return err
			}
			err = next(ctx, node, req, rsp, opts)
		}
		return err
	}
}
