package svc

import (
	"context"

	"go-micro.dev/v5/client"
	merrors "go-micro.dev/v5/errors"

	"github.com/tracegate/tracegate/internal/microkit"
)

// Call calls service's endpoint through c and returns the decoded response.
// Errors are go-micro's own (*errors.Error with the remote id and code),
// returned as they are so callers can read the code, except one: when the
// service cannot be reached ([microkit.IsUnavailable]), the error is a 503
// with id service and detail "service <name> unavailable", because
// go-micro's own text names the internal address (the original error stays
// on the CLIENT span and in the node-dropped event).
func Call[Rsp any](ctx context.Context, c client.Client, service, endpoint string, req any, opts ...client.CallOption) (*Rsp, error) {
	rsp := new(Rsp)
	if err := c.Call(ctx, c.NewRequest(service, endpoint, req), rsp, opts...); err != nil {
		if microkit.IsUnavailable(err) {
			return nil, merrors.New(service, "service "+service+" unavailable", 503)
		}
		return nil, err
	}
	return rsp, nil
}
