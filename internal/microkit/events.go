package microkit

import (
	"context"
	"net"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
)

// EventKind names what a [NewClient] client noticed about the services it
// calls.
type EventKind string

const (
	// EventRegistry is a registry event (create, update or delete) for a
	// service the client has called.
	EventRegistry EventKind = "registry"
	// EventNodeDropped: a node refused the connection (or could not be
	// dialled); the client leaves it out of selection until the registry
	// announces that node again or [DefaultDownTTL] passes, and sends the
	// call, which never left, to another node if there is one.
	EventNodeDropped EventKind = "node.dropped"
	// EventRefresh: a service the client could not select was announced by
	// the registry, so the client dropped its cached registry lookups and
	// looked again.
	EventRefresh EventKind = "refresh"
)

// Event is one [EventKind] occurrence. Address and Err carry internal
// details (host:port, dial errors): record them on spans, logs and audit
// records, never in answers to callers.
type Event struct {
	Kind    EventKind
	Service string
	// Action is the registry action of an [EventRegistry] event: create,
	// update or delete.
	Action string
	// NodeID and Address name the node of an [EventNodeDropped] event, and
	// of an [EventRegistry] event that carries one node (as go-micro
	// servers register).
	NodeID, Address string
	// Err is the dial error of an [EventNodeDropped] event.
	Err error
}

// EventFunc receives a client's events. For [EventNodeDropped] ctx is the
// call's context (its span is the call's CLIENT span when a tracing
// wrapper runs outside); otherwise it is the client's background context.
// It runs on the caller's or the registry watcher's goroutine and must not
// block.
type EventFunc func(ctx context.Context, e Event)

// WithEvents sets the function that receives a client's events (default:
// none). Servers ignore it.
func WithEvents(f EventFunc) Option {
	return optionFunc(func(c *config) { c.events = f })
}

// Attribute keys of [Event.Attributes]; rpc.service, server.address and
// server.port are the OTel semantic-convention keys.
const (
	serviceKey = attribute.Key("rpc.service")
	actionKey  = attribute.Key("tracegate.registry.action")
	nodeKey    = attribute.Key("tracegate.node.id")
	addressKey = attribute.Key("server.address")
	portKey    = attribute.Key("server.port")
	errorKey   = attribute.Key("tracegate.error")
)

// Name is the event name to emit e under: tracegate.registry.update,
// tracegate.node.dropped or tracegate.registry.refresh.
func (e Event) Name() string {
	switch e.Kind {
	case EventRegistry:
		return "tracegate.registry.update"
	case EventNodeDropped:
		return "tracegate.node.dropped"
	case EventRefresh:
		return "tracegate.registry.refresh"
	}
	return "tracegate.microkit." + string(e.Kind)
}

// Attributes are e's attributes for an OTel event: always rpc.service, and
// the registry action, or the dropped node's id, address (server.address,
// server.port) and error. They name internal addresses: fine for spans and
// logs, not for answers to callers.
func (e Event) Attributes() []attribute.KeyValue {
	attrs := []attribute.KeyValue{serviceKey.String(e.Service)}
	if e.Action != "" {
		attrs = append(attrs, actionKey.String(e.Action))
	}
	if e.NodeID != "" {
		attrs = append(attrs, nodeKey.String(e.NodeID))
	}
	if e.Address != "" {
		host, port, err := net.SplitHostPort(e.Address)
		if err != nil {
			host = e.Address
		}
		attrs = append(attrs, addressKey.String(host))
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, portKey.Int(p))
		}
	}
	if e.Err != nil {
		attrs = append(attrs, errorKey.String(e.Err.Error()))
	}
	return attrs
}
