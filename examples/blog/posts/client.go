package posts

import (
	"context"

	"go-micro.dev/v5/client"

	"github.com/tracegate/tracegate/examples/blog/svc"
)

// Client is a typed client of the posts service.
type Client struct {
	c client.Client
}

// NewClient returns a posts client calling through c.
func NewClient(c client.Client) *Client { return &Client{c: c} }

// Create calls Posts.Create.
func (c *Client) Create(ctx context.Context, req *CreateRequest, opts ...client.CallOption) (*CreateResponse, error) {
	return svc.Call[CreateResponse](ctx, c.c, Name, EndpointCreate, req, opts...)
}

// Read calls Posts.Read.
func (c *Client) Read(ctx context.Context, req *ReadRequest, opts ...client.CallOption) (*ReadResponse, error) {
	return svc.Call[ReadResponse](ctx, c.c, Name, EndpointRead, req, opts...)
}

// List calls Posts.List.
func (c *Client) List(ctx context.Context, req *ListRequest, opts ...client.CallOption) (*ListResponse, error) {
	return svc.Call[ListResponse](ctx, c.c, Name, EndpointList, req, opts...)
}

// Delete calls Posts.Delete.
func (c *Client) Delete(ctx context.Context, req *DeleteRequest, opts ...client.CallOption) (*DeleteResponse, error) {
	return svc.Call[DeleteResponse](ctx, c.c, Name, EndpointDelete, req, opts...)
}
