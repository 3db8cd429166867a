package microkit

import "go-micro.dev/v5/registry"

// ownEvents gives each watcher its own copy of every registry event.
// go-micro's memory registry hands one *registry.Result to all its
// watchers, and go-micro's registry cache rewrites the event's node list in
// place (registry/cache update): two clients in one process caching the
// same service race on it. NATS and the other networked registries decode
// a fresh value per watcher; copying costs them an allocation per event.
type ownEvents struct{ registry.Registry }

func (r ownEvents) Watch(opts ...registry.WatchOption) (registry.Watcher, error) {
	w, err := r.Registry.Watch(opts...)
	if err != nil {
		return nil, err
	}
	return copyingWatcher{w}, nil
}

type copyingWatcher struct{ registry.Watcher }

func (w copyingWatcher) Next() (*registry.Result, error) {
	res, err := w.Watcher.Next()
	if err != nil || res == nil {
		return res, err
	}
	cp := *res
	if res.Service != nil {
		svc := *res.Service
		svc.Nodes = make([]*registry.Node, len(res.Service.Nodes))
		for i, n := range res.Service.Nodes {
			node := *n
			svc.Nodes[i] = &node
		}
		cp.Service = &svc
	}
	return &cp, nil
}
