package microkit

import "context"

// EventKind names what a [NewClient] client noticed about the services it
// calls.
type EventKind string

const (
	// EventRegistry is a registry event (create, update or delete) for a
	// service the client has called.
	EventRegistry EventKind = "registry"
	// EventNodeDropped: a node refused the connection (or could not be
	// dialled); the client leaves it out of selection until the registry
	// announces the service again or [DefaultDownTTL] passes, and sends the
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
	// NodeID and Address name the node of an [EventNodeDropped] event.
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
