package microkit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/selector"
)

// DefaultDownTTL is how long a client leaves out a node that refused a
// connection when the registry does not announce it again: go-micro's
// registry cache TTL, after which a node that is really gone has left the
// cache.
const DefaultDownTTL = time.Minute

// watchRetry is the pause before re-opening a failed registry watch.
const watchRetry = time.Second

// healthSelector is go-micro's registry selector (its cache and its
// per-service watchers) plus what it lacks for recovering from a service
// restart:
//
//   - nodes that refused a connection are left out (drop), until the
//     registry announces that node again or [DefaultDownTTL] passes;
//   - one registry watcher of its own: when a service it could not select
//     is announced, it drops go-micro's cache (which otherwise keeps
//     answering "not found" for up to 5 s after a failed lookup, and ignores
//     events for services it has no entry for) and selects again.
type healthSelector struct {
	selector.Selector
	reg     registry.Registry // ownEvents
	events  EventFunc
	downTTL time.Duration
	now     func() time.Time

	mu        sync.Mutex
	down      map[string]map[string]time.Time // service → node id → until
	announced map[string]bool                 // service → create/update seen since the last refresh
	tracked   map[string]bool                 // services selected at least once
	watching  bool
	watcher   registry.Watcher
	closed    bool
	stop      chan struct{}
	done      chan struct{}
}

func newHealthSelector(reg registry.Registry, events EventFunc) *healthSelector {
	return &healthSelector{
		Selector:  selector.NewSelector(selector.Registry(ownEvents{reg})),
		reg:       ownEvents{reg},
		events:    events,
		downTTL:   DefaultDownTTL,
		now:       time.Now,
		down:      map[string]map[string]time.Time{},
		announced: map[string]bool{},
		tracked:   map[string]bool{},
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// Select is go-micro's Select with dropped nodes filtered out; when nothing
// is selectable but the registry announced the service since, it refreshes
// go-micro's cache and tries once more.
func (h *healthSelector) Select(service string, opts ...selector.SelectOption) (selector.Next, error) {
	h.track(service)
	opts = append(opts, selector.WithFilter(h.filter(service)))
	next, err := h.Selector.Select(service, opts...)
	if err == nil || !(errors.Is(err, selector.ErrNotFound) || errors.Is(err, selector.ErrNoneAvailable)) {
		return next, err
	}
	if !h.takeAnnounced(service) {
		return nil, err
	}
	if ierr := h.Selector.Init(); ierr != nil { // a fresh cache: no stale entries, no rate limit
		return nil, fmt.Errorf("microkit: refresh selector: %w", ierr)
	}
	h.emit(context.Background(), Event{Kind: EventRefresh, Service: service})
	return h.Selector.Select(service, opts...)
}

// Options are go-micro's selector options, with the registry the client
// was given.
func (h *healthSelector) Options() selector.Options {
	o := h.Selector.Options()
	o.Registry = h.reg.(ownEvents).Registry
	return o
}

// Mark is a no-op: the client's failover call wrapper drops nodes, with
// the call's context.
func (h *healthSelector) Mark(string, *registry.Node, error) {}

// drop leaves node out of service's selection.
func (h *healthSelector) drop(ctx context.Context, service string, node *registry.Node, err error) {
	h.mu.Lock()
	if h.down[service] == nil {
		h.down[service] = map[string]time.Time{}
	}
	h.down[service][node.Id] = h.now().Add(h.downTTL)
	h.mu.Unlock()
	h.emit(ctx, Event{Kind: EventNodeDropped, Service: service, NodeID: node.Id, Address: node.Address, Err: err})
}

func (h *healthSelector) filter(service string) selector.Filter {
	return func(services []*registry.Service) []*registry.Service {
		h.mu.Lock()
		down := h.down[service]
		now := h.now()
		for id, until := range down {
			if now.After(until) {
				delete(down, id)
			}
		}
		if len(down) == 0 {
			h.mu.Unlock()
			return services
		}
		out := make([]*registry.Service, 0, len(services))
		for _, s := range services {
			cp := *s
			cp.Nodes = make([]*registry.Node, 0, len(s.Nodes))
			for _, n := range s.Nodes {
				if _, isDown := down[n.Id]; !isDown {
					cp.Nodes = append(cp.Nodes, n)
				}
			}
			if len(cp.Nodes) > 0 {
				out = append(out, &cp)
			}
		}
		h.mu.Unlock()
		return out
	}
}

// track notes that service is called; the first call opens the registry
// watch before it selects, so no announcement after it is missed.
func (h *healthSelector) track(service string) {
	h.mu.Lock()
	h.tracked[service] = true
	if h.watching || h.closed {
		h.mu.Unlock()
		return
	}
	h.watching = true
	h.mu.Unlock()
	w, err := h.reg.Watch()
	if err != nil {
		w = nil // watch retries
	}
	go h.watch(w)
}

func (h *healthSelector) takeAnnounced(service string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.announced[service] {
		return false
	}
	clear(h.announced) // the fresh cache covers every service
	return true
}

// watch follows the registry through w (nil: open one) until Close,
// re-opening a failed watch.
func (h *healthSelector) watch(w registry.Watcher) {
	defer close(h.done)
	for {
		if w == nil {
			w, _ = h.reg.Watch()
		}
		if w != nil {
			h.mu.Lock()
			if h.closed {
				h.mu.Unlock()
				w.Stop()
				return
			}
			h.watcher = w
			h.mu.Unlock()
			for {
				res, err := w.Next()
				if err != nil {
					break
				}
				h.update(res)
			}
			w.Stop()
			w = nil
		}
		select {
		case <-h.stop:
			return
		case <-time.After(watchRetry):
		}
	}
}

// update applies one registry event (a copy of its own, see ownEvents): a
// dropped node announced again is selectable again, and a service
// announced while unselectable gets a refresh.
func (h *healthSelector) update(res *registry.Result) {
	if res == nil || res.Service == nil {
		return
	}
	s := res.Service
	h.mu.Lock()
	if !h.tracked[s.Name] {
		h.mu.Unlock()
		return
	}
	switch res.Action {
	case "create", "update":
		h.announced[s.Name] = true
		for _, n := range s.Nodes {
			delete(h.down[s.Name], n.Id)
		}
	case "delete":
		for _, n := range s.Nodes {
			delete(h.down[s.Name], n.Id) // gone: nothing left to remember
		}
	}
	h.mu.Unlock()
	e := Event{Kind: EventRegistry, Service: s.Name, Action: res.Action}
	if len(s.Nodes) == 1 {
		e.NodeID, e.Address = s.Nodes[0].Id, s.Nodes[0].Address
	}
	h.emit(context.Background(), e)
}

func (h *healthSelector) emit(ctx context.Context, e Event) {
	if h.events != nil {
		h.events(ctx, e)
	}
}

// Close stops the registry watcher and go-micro's selector.
func (h *healthSelector) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	close(h.stop)
	watching, w := h.watching, h.watcher
	h.mu.Unlock()
	if w != nil {
		w.Stop()
	}
	if watching {
		<-h.done
	}
	return h.Selector.Close()
}
