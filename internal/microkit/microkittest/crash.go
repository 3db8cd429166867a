package microkittest

import (
	"net"
	"sync"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/transport"
)

// CrashTransport is go-micro's HTTP transport whose server connections can
// all be cut at once, as a crashing process cuts them. (Stopping a go-micro
// server closes its listener but keeps serving the connections clients
// hold in their pools.) Give it to a server with microkit.WithTransport.
type CrashTransport struct {
	transport.Transport
	mu    sync.Mutex
	conns []net.Conn
}

// NewCrashTransport returns a CrashTransport over a new HTTP transport.
func NewCrashTransport() *CrashTransport {
	return &CrashTransport{Transport: transport.NewHTTPTransport()}
}

type trackListener struct {
	net.Listener
	t *CrashTransport
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.t.mu.Lock()
		l.t.conns = append(l.t.conns, c)
		l.t.mu.Unlock()
	}
	return c, err
}

// Listen listens on addr (TCP) and serves go-micro's HTTP transport on it,
// keeping every accepted connection for [CrashTransport.Cut].
func (c *CrashTransport) Listen(addr string, opts ...transport.ListenOption) (transport.Listener, error) {
	nl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.Transport.Listen(addr, append(opts, transport.NetListener(&trackListener{Listener: nl, t: c}))...)
}

// Cut closes every connection the transport's servers accepted.
func (c *CrashTransport) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
}

// KeepRegistered returns reg with Deregister doing nothing: the registry as
// a crashed server leaves it, still naming the dead node.
func KeepRegistered(reg registry.Registry) registry.Registry { return keepRegistered{reg} }

type keepRegistered struct{ registry.Registry }

func (keepRegistered) Deregister(*registry.Service, ...registry.DeregisterOption) error { return nil }
