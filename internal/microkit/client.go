package microkit

import (
	"fmt"
	"slices"

	"go-micro.dev/v5/broker"
	"go-micro.dev/v5/client"
)

// Client is a go-micro client with its own selector. Close it when done: the
// selector caches registry lookups and keeps registry watchers.
type Client struct {
	client.Client
	selector *healthSelector
}

// NewClient returns a go-micro RPC client that resolves services through the
// registry from [WithRegistry] with a selector of its own (client.Registry
// would re-initialise go-micro's global default selector instead), a memory
// broker and the transport (default HTTP). Client wrappers from
// [WithClientWrappers] wrap it, the first outermost; call wrappers from
// [WithCallWrappers] run inside them, then microkit's own:
//
//   - recovery after a restart: a node that refuses the connection is left
//     out of selection and the call, which never left, goes to another
//     node; a service announced by the registry while it could not be
//     selected is looked up again at once ([EventKind] lists what the
//     [WithEvents] function hears);
//   - connections as [WithConnMode] says (default [ConnStreamID], which
//     keeps go-micro's pool without losing answers, each pooled connection
//     kept at most [PoolTTL]), innermost.
//
// Errors of services that cannot be reached satisfy [IsUnavailable].
func NewClient(opts ...Option) (*Client, error) {
	c := newConfig(opts)
	if c.registry == nil {
		return nil, fmt.Errorf("client: %w", ErrNoRegistry)
	}
	sel := newHealthSelector(c.registry, c.events)
	reg := c.registry
	co := []client.Option{
		client.Selector(sel),
		// Set the registry without client.Registry, which calls Init on
		// whatever selector is current.
		func(o *client.Options) { o.Registry = reg },
		client.Broker(broker.NewMemoryBroker()),
		client.Transport(c.transport),
	}
	if c.logger != nil {
		co = append(co, client.WithLogger(c.logger))
	}
	for _, w := range c.wrappers {
		co = append(co, client.Wrap(w))
	}
	if len(c.callWrappers) > 0 {
		co = append(co, client.WrapCall(c.callWrappers...))
	}
	if c.connMode == ConnStreamID {
		co = append(co, client.PoolTTL(PoolTTL)) // before clientOpts: a caller's client.PoolTTL wins
	}
	co = append(co, c.clientOpts...)
	co = append(co, client.WrapCall(sel.failover))
	co = append(co, connOptions(c.connMode)...)
	// go-micro's per-call client.WithCallWrapper appends to a copy of the
	// client's CallOptions whose CallWrappers slice shares its array: with
	// spare capacity, concurrent calls would write each other's wrappers
	// into it (a data race, and one call running another's wrapper). A
	// slice without spare capacity makes every such append copy.
	co = append(co, func(o *client.Options) { o.CallOptions.CallWrappers = slices.Clip(o.CallOptions.CallWrappers) })
	return &Client{Client: client.NewClient(co...), selector: sel}, nil
}

// Close stops the client's selector and its registry watchers.
func (c *Client) Close() error {
	if err := c.selector.Close(); err != nil {
		return fmt.Errorf("microkit: close selector: %w", err)
	}
	return nil
}

// Warm resolves service through the client's selector once, filling its
// registry cache. go-micro's cache has a race on a service's first lookup:
// concurrent callers that miss the cache while another one refreshes it get
// ErrNotFound. One lookup up front, from one goroutine, avoids it.
func (c *Client) Warm(service string) error {
	if _, err := c.selector.Select(service); err != nil {
		return fmt.Errorf("microkit: warm %s: %w", service, err)
	}
	return nil
}
