package microkit

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go-micro.dev/v5/broker"
	"go-micro.dev/v5/server"
)

// ErrNoRegistry is returned when [WithRegistry] was not given.
var ErrNoRegistry = errors.New("microkit: no registry given")

// NewServer returns a go-micro RPC server named name that uses the registry
// from [WithRegistry], a memory broker, the transport (default HTTP), a
// unique node id and the address [DefaultAddress]. Its outermost handler
// wrapper removes the Micro-Stream header that [NewClient] clients send
// (see [ConnStreamID]) from the handler's context. Stop waits for in-flight
// requests and deregisters the node.
func NewServer(name string, opts ...Option) (server.Server, error) {
	if name == "" {
		return nil, errors.New("microkit: server name is empty")
	}
	c := newConfig(opts)
	if c.registry == nil {
		return nil, fmt.Errorf("server %q: %w", name, ErrNoRegistry)
	}
	so := []server.Option{
		server.Name(name),
		// go-micro's DefaultId is one UUID per process: two servers of the
		// same name in one process would overwrite each other's node.
		server.Id(uuid.NewString()),
		server.Registry(c.registry),
		server.Broker(broker.NewMemoryBroker()),
		server.Transport(c.transport),
		server.Address(c.address),
		server.Wait(nil),
	}
	if c.advertise != "" {
		so = append(so, server.Advertise(c.advertise))
	}
	if c.version != "" {
		so = append(so, server.Version(c.version))
	}
	if c.metadata != nil {
		so = append(so, server.Metadata(c.metadata))
	}
	if c.logger != nil {
		so = append(so, server.WithLogger(c.logger))
	}
	so = append(so, server.WrapHandler(stripStreamID))
	for _, w := range c.hdlrWrappers {
		so = append(so, server.WrapHandler(w))
	}
	so = append(so, c.serverOpts...)
	return server.NewRPCServer(so...), nil
}
