package gateway

import (
	"bytes"
	"fmt"
	"log"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/policy"
)

// toolEntry is one go-micro endpoint exposed as an MCP tool.
type toolEntry struct {
	Name        string // the name clients call
	Canonical   string // <service>.<Endpoint>
	Service     string
	Endpoint    string
	Description string
	Scopes      []string // declared by the service
	Calls       []string // downstream endpoints it declares (tool.Calls)
	Schema      compiledSchema
	Timeout     time.Duration
	// ParamHeaders: the input schema binds parameters to HTTP headers
	// (x-mcp-header), which the MCP SDK checks; such calls skip the fast path.
	ParamHeaders bool
	// ResultMode is how the response body becomes a tool result: "" (JSON
	// as structuredContent plus a text block) or [tool.ResultMCP] (the
	// service returns MCP content blocks itself).
	ResultMode string
}

func (e *toolEntry) sameAs(o *toolEntry) bool {
	return e.Name == o.Name && e.Canonical == o.Canonical && e.Description == o.Description &&
		slices.Equal(e.Scopes, o.Scopes) && slices.Equal(e.Calls, o.Calls) && bytes.Equal(e.Schema.raw, o.Schema.raw) && e.Timeout == o.Timeout && e.ResultMode == o.ResultMode
}

// catalog is the live set of tools. It owns the tool registrations of the
// mcp.Server: adding or removing a tool there makes the SDK notify clients
// (notifications/tools/list_changed, or subscriptions on 2026-07-28).
type catalog struct {
	server  *mcp.Server
	handler func(*toolEntry) mcp.ToolHandler
	logger  *log.Logger
	// warm, when set, resolves a service that gained tools, so the first
	// calls to it do not race on the client's empty registry cache.
	warm func(service string) error

	mu          sync.RWMutex
	byName      map[string]*toolEntry
	byService   map[string][]string
	byCanonical map[string]*toolEntry // rebuilt by replace
}

func newCatalog(server *mcp.Server, handler func(*toolEntry) mcp.ToolHandler, logger *log.Logger) *catalog {
	return &catalog{
		server:    server,
		handler:   handler,
		logger:    logger,
		byName:    map[string]*toolEntry{},
		byService: map[string][]string{},
	}
}

// lookup returns the tool clients call by name.
func (c *catalog) lookup(name string) (*toolEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.byName[name]
	return e, ok
}

// services lists the services that currently have tools.
func (c *catalog) services() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.byService))
	for s := range c.byService {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// replaceService makes entries the tools of service: new and changed tools are
// (re)registered, vanished ones removed. A name owned by another tool is
// skipped, logged and returned as an [ErrToolNameConflict].
func (c *catalog) replaceService(service string, entries []*toolEntry) []error {
	added, conflicts := c.replace(service, entries)
	for _, err := range conflicts {
		c.logger.Print(err)
	}
	if added && c.warm != nil {
		if err := c.warm(service); err != nil {
			c.logger.Print(err)
		}
	}
	return conflicts
}

// replace does replaceService's work under the lock and tells whether the
// service is new in the catalog.
func (c *catalog) replace(service string, entries []*toolEntry) (added bool, conflicts []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := map[string]bool{}
	var names []string
	for _, e := range entries {
		if cur, ok := c.byName[e.Name]; ok && cur.Service != service {
			conflicts = append(conflicts, fmt.Errorf("%w: skipping %s: its name %q is %s's", ErrToolNameConflict, e.Canonical, e.Name, cur.Canonical))
			continue
		}
		if keep[e.Name] {
			conflicts = append(conflicts, fmt.Errorf("%w: skipping %s: its name %q is taken in service %s", ErrToolNameConflict, e.Canonical, e.Name, service))
			continue
		}
		keep[e.Name] = true
		names = append(names, e.Name)
		if cur, ok := c.byName[e.Name]; ok && cur.sameAs(e) {
			continue
		}
		c.byName[e.Name] = e
		c.server.AddTool(&mcp.Tool{
			Name:        e.Name,
			Description: e.Description,
			InputSchema: e.Schema.raw,
		}, c.handler(e))
	}
	var gone []string
	for _, n := range c.byService[service] {
		if !keep[n] {
			gone = append(gone, n)
			delete(c.byName, n)
		}
	}
	if len(gone) > 0 {
		c.server.RemoveTools(gone...)
	}
	c.byCanonical = make(map[string]*toolEntry, len(c.byName))
	for _, e := range c.byName {
		c.byCanonical[e.Canonical] = e
	}
	if len(names) == 0 {
		delete(c.byService, service)
		return false, conflicts
	}
	_, known := c.byService[service]
	c.byService[service] = names
	return !known, conflicts
}

// downstream returns the endpoints a call of e may reach after the entry
// hop, with their declared scopes: e's declared calls, transitively
// (policy.ResolveDownstream over the current tools).
func (c *catalog) downstream(e *toolEntry) []policy.Downstream {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return policy.ResolveDownstream(e.Calls, func(name string) ([]string, []string, bool) {
		d, ok := c.byCanonical[name]
		if !ok {
			return nil, nil, false
		}
		return d.Scopes, d.Calls, true
	})
}

// entries returns the current tools sorted by name.
func (c *catalog) entries() []*toolEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*toolEntry, 0, len(c.byName))
	for _, e := range c.byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
