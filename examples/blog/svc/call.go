package svc

import (
	"context"

	"go-micro.dev/v5/client"
)

// Call calls service's endpoint through c and returns the decoded response.
// Errors are go-micro's own (*errors.Error with the remote id and code),
// returned as they are so callers can read the code.
func Call[Rsp any](ctx context.Context, c client.Client, service, endpoint string, req any, opts ...client.CallOption) (*Rsp, error) {
	rsp := new(Rsp)
	if err := c.Call(ctx, c.NewRequest(service, endpoint, req), rsp, opts...); err != nil {
		return nil, err
	}
	return rsp, nil
}
