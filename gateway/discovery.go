package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"sort"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/gateway/tool"
)

// discovery turns the registry's services into catalog entries and keeps them
// live with a registry watcher plus a periodic full resync.
type discovery struct {
	reg    registry.Registry
	cat    *catalog
	cfg    Config
	logger *log.Logger
}

// syncAll reads every service once and drops the tools of services that are
// gone. It returns the naming problems it found (tools left out), joined.
func (d *discovery) syncAll() error {
	list, err := d.reg.ListServices()
	if err != nil {
		return fmt.Errorf("gateway: list services: %w", err)
	}
	var problems []error
	present := map[string]bool{}
	for _, s := range list {
		if s == nil || present[s.Name] {
			continue
		}
		present[s.Name] = true
		problems = append(problems, d.syncService(s.Name)...)
	}
	for _, name := range d.cat.services() {
		if !present[name] {
			d.cat.replaceService(name, nil)
		}
	}
	return errors.Join(problems...)
}

// syncService re-reads one service. A lookup error keeps the current tools:
// a flapping registry must not make tools vanish.
func (d *discovery) syncService(name string) []error {
	svcs, err := d.reg.GetService(name)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		d.logger.Printf("registry lookup %s: %v (keeping current tools)", name, err)
		return nil
	}
	entries, problems := d.entries(name, svcs)
	return append(problems, d.cat.replaceService(name, entries)...)
}

// entries builds the tools of all versions of a service; for an endpoint
// present in several versions the lexically greatest version wins.
func (d *discovery) entries(name string, svcs []*registry.Service) (out []*toolEntry, naming []error) {
	sort.SliceStable(svcs, func(i, j int) bool { return svcs[i].Version > svcs[j].Version })
	seen := map[string]bool{}
	for _, svc := range svcs {
		if svc == nil || len(svc.Nodes) == 0 {
			continue
		}
		for _, ep := range svc.Endpoints {
			if ep == nil || ep.Name == "" || seen[ep.Name] || ep.Metadata["subscriber"] == "true" {
				continue
			}
			seen[ep.Name] = true
			e, err := d.entry(name, ep)
			if err != nil {
				d.logger.Printf("skipping endpoint %s.%s: %v", name, ep.Name, err)
				if errors.Is(err, ErrBadToolName) {
					naming = append(naming, err)
				}
				continue
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, naming
}

func (d *discovery) entry(service string, ep *registry.Endpoint) (*toolEntry, error) {
	contract, err := tool.FromMetadata(ep.Metadata)
	if err != nil {
		return nil, err
	}
	raw := contract.InputSchema
	if len(raw) == 0 {
		if raw, err = json.Marshal(schemaFromValue(ep.Request)); err != nil {
			return nil, fmt.Errorf("derived schema: %w", err)
		}
	}
	schema, err := compileSchema(raw)
	if err != nil {
		return nil, err
	}
	canonical := canonicalName(service, ep.Name)
	tc := d.cfg.Tools[canonical]
	e := &toolEntry{
		Name:         tc.Name,
		Canonical:    canonical,
		Service:      service,
		Endpoint:     ep.Name,
		Description:  tc.Description,
		Scopes:       contract.Scopes,
		Calls:        contract.Calls,
		Schema:       schema,
		Timeout:      tc.Timeout,
		ResultMode:   ep.Metadata[tool.MetadataResult],
		ParamHeaders: bytes.Contains(raw, []byte("x-mcp-header")),
	}
	if e.Name == "" {
		if e.Name, err = displayName(canonical, d.cfg.ToolNameStyle); err != nil {
			return nil, err
		}
	}
	if e.Description == "" {
		e.Description = contract.Description
	}
	if e.Description == "" {
		e.Description = fmt.Sprintf("Calls %s on the go-micro service %s.", ep.Name, service)
	}
	if e.Timeout == 0 {
		e.Timeout = d.cfg.Timeout
	}
	return e, nil
}

// run keeps the tools live until ctx ends: each watch event re-reads its
// service; every ResyncInterval everything is re-read. The watch is
// subscribed before the first full read (signalled on watching), so a
// service registering during start-up is not missed. Watch failures are
// retried with backoff.
func (d *discovery) run(ctx context.Context, watching chan<- struct{}) {
	events := make(chan string, 64)
	go d.watch(ctx, events, watching)
	tick := time.NewTicker(d.cfg.ResyncInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case name := <-events:
			_ = d.syncService(name) // logged; a running gateway leaves the tool out
		case <-tick.C:
			if err := d.syncAll(); err != nil && !isNaming(err) {
				d.logger.Print(err)
			}
		}
	}
}

func (d *discovery) watch(ctx context.Context, events chan<- string, watching chan<- struct{}) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		w, err := d.reg.Watch()
		if watching != nil {
			close(watching) // subscribed, or failed: either way start-up goes on
			watching = nil
		}
		if err != nil {
			d.logger.Printf("registry watch: %v (retrying in %s)", err, backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		stop := context.AfterFunc(ctx, w.Stop)
		for {
			res, err := w.Next()
			if err != nil {
				break
			}
			if res == nil || res.Service == nil {
				continue
			}
			select {
			case events <- res.Service.Name:
			case <-ctx.Done():
			}
		}
		stop()
		w.Stop()
	}
}

// isNaming tells whether err only reports tools left out for their names
// (already logged).
func isNaming(err error) bool {
	return errors.Is(err, ErrToolNameConflict) || errors.Is(err, ErrBadToolName)
}
