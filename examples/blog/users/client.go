package users

import (
	"context"

	"go-micro.dev/v5/client"

	"github.com/tracegate/tracegate/examples/blog/svc"
)

// Client is a typed client of the users service.
type Client struct {
	c client.Client
}

// NewClient returns a users client calling through c.
func NewClient(c client.Client) *Client { return &Client{c: c} }

// Create calls Users.Create.
func (c *Client) Create(ctx context.Context, req *CreateRequest, opts ...client.CallOption) (*CreateResponse, error) {
	return svc.Call[CreateResponse](ctx, c.c, Name, EndpointCreate, req, opts...)
}

// Read calls Users.Read.
func (c *Client) Read(ctx context.Context, req *ReadRequest, opts ...client.CallOption) (*ReadResponse, error) {
	return svc.Call[ReadResponse](ctx, c.c, Name, EndpointRead, req, opts...)
}

// List calls Users.List.
func (c *Client) List(ctx context.Context, req *ListRequest, opts ...client.CallOption) (*ListResponse, error) {
	return svc.Call[ListResponse](ctx, c.c, Name, EndpointList, req, opts...)
}
