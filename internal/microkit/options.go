package microkit

import (
	"go-micro.dev/v5/client"
	"go-micro.dev/v5/logger"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go-micro.dev/v5/transport"
)

// DefaultAddress is where servers listen unless [WithAddress] says otherwise:
// loopback, on a port chosen by the kernel.
const DefaultAddress = "127.0.0.1:0"

// Option configures [NewServer] and [NewClient]. Options that only make sense
// for one of them are ignored by the other.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	registry     registry.Registry
	transport    transport.Transport
	logger       logger.Logger
	address      string
	advertise    string
	version      string
	metadata     map[string]string
	hdlrWrappers []server.HandlerWrapper
	wrappers     []client.Wrapper
	callWrappers []client.CallWrapper
	serverOpts   []server.Option
	clientOpts   []client.Option
	connMode     ConnMode
	events       EventFunc
}

func newConfig(opts []Option) config {
	c := config{address: DefaultAddress}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.transport == nil {
		c.transport = transport.NewHTTPTransport()
	}
	return c
}

// WithRegistry sets the registry; it is required. nil is ignored.
func WithRegistry(r registry.Registry) Option {
	return optionFunc(func(c *config) {
		if r != nil {
			c.registry = r
		}
	})
}

// WithTransport sets the transport (default: a new HTTP transport per server
// or client). nil is ignored.
func WithTransport(t transport.Transport) Option {
	return optionFunc(func(c *config) {
		if t != nil {
			c.transport = t
		}
	})
}

// WithLogger sets go-micro's logger for the server or client (default
// go-micro's logger.DefaultLogger). nil is ignored.
func WithLogger(l logger.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithAddress sets the server's listen address (default [DefaultAddress]);
// "" is ignored. A non-loopback address is the caller's explicit choice.
func WithAddress(addr string) Option {
	return optionFunc(func(c *config) {
		if addr != "" {
			c.address = addr
		}
	})
}

// WithAdvertise sets the address the server registers (default: the bound
// listen address, which for [DefaultAddress] is 127.0.0.1:<port>).
func WithAdvertise(addr string) Option {
	return optionFunc(func(c *config) { c.advertise = addr })
}

// WithVersion sets the registered service version.
func WithVersion(v string) Option {
	return optionFunc(func(c *config) { c.version = v })
}

// WithMetadata sets the server's node metadata.
func WithMetadata(md map[string]string) Option {
	return optionFunc(func(c *config) { c.metadata = md })
}

// WithHandlerWrappers appends server handler wrappers; the first one given
// is the outermost (put tracing first, so a denial still has a span).
func WithHandlerWrappers(w ...server.HandlerWrapper) Option {
	return optionFunc(func(c *config) {
		for _, x := range w {
			if x != nil {
				c.hdlrWrappers = append(c.hdlrWrappers, x)
			}
		}
	})
}

// WithClientWrappers appends client wrappers; the first one given is the
// outermost.
func WithClientWrappers(w ...client.Wrapper) Option {
	return optionFunc(func(c *config) {
		for _, x := range w {
			if x != nil {
				c.wrappers = append(c.wrappers, x)
			}
		}
	})
}

// WithCallWrappers appends client call wrappers (run per attempt).
func WithCallWrappers(w ...client.CallWrapper) Option {
	return optionFunc(func(c *config) {
		for _, x := range w {
			if x != nil {
				c.callWrappers = append(c.callWrappers, x)
			}
		}
	})
}

// WithServerOptions appends raw go-micro server options, applied after
// microkit's own (they may override them).
func WithServerOptions(o ...server.Option) Option {
	return optionFunc(func(c *config) { c.serverOpts = append(c.serverOpts, o...) })
}

// WithClientOptions appends raw go-micro client options, applied after
// microkit's own. Avoid client.Registry: it re-initialises whichever selector
// is set at that point.
func WithClientOptions(o ...client.Option) Option {
	return optionFunc(func(c *config) { c.clientOpts = append(c.clientOpts, o...) })
}
