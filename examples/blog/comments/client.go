package comments

import (
	"context"

	"go-micro.dev/v5/client"

	"github.com/tracegate/tracegate/examples/blog/svc"
)

// Client is a typed client of the comments service.
type Client struct {
	c client.Client
}

// NewClient returns a comments client calling through c.
func NewClient(c client.Client) *Client { return &Client{c: c} }

// Create calls Comments.Create.
func (c *Client) Create(ctx context.Context, req *CreateRequest, opts ...client.CallOption) (*CreateResponse, error) {
	return svc.Call[CreateResponse](ctx, c.c, Name, EndpointCreate, req, opts...)
}

// List calls Comments.List.
func (c *Client) List(ctx context.Context, req *ListRequest, opts ...client.CallOption) (*ListResponse, error) {
	return svc.Call[ListResponse](ctx, c.c, Name, EndpointList, req, opts...)
}
