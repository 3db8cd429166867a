package jaegerapi

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Service is the service name of s's process.
func (tr Trace) Service(s Span) string { return tr.Processes[s.ProcessID].ServiceName }

// Services lists the trace's service names, sorted, once each.
func (tr Trace) Services() []string {
	out := make([]string, 0, len(tr.Processes))
	for _, p := range tr.Processes {
		out = append(out, p.ServiceName)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SpansBy returns the spans of service with operation name operation and
// kind (a Kind… constant); an empty argument matches anything.
func (tr Trace) SpansBy(service, operation, kind string) []Span {
	var out []Span
	for _, s := range tr.Spans {
		if (service == "" || tr.Service(s) == service) &&
			(operation == "" || s.OperationName == operation) &&
			(kind == "" || s.Kind() == kind) {
			out = append(out, s)
		}
	}
	return out
}

// SpanBy returns the first span [Trace.SpansBy] finds.
func (tr Trace) SpanBy(service, operation, kind string) (Span, bool) {
	if ss := tr.SpansBy(service, operation, kind); len(ss) > 0 {
		return ss[0], true
	}
	return Span{}, false
}

// SpanByID returns the span with that id.
func (tr Trace) SpanByID(id string) (Span, bool) {
	for _, s := range tr.Spans {
		if s.SpanID == id {
			return s, true
		}
	}
	return Span{}, false
}

// Parent returns s's [RefChildOf] parent when it is in the trace.
func (tr Trace) Parent(s Span) (Span, bool) {
	if id := s.ParentID(); id != "" {
		return tr.SpanByID(id)
	}
	return Span{}, false
}

// Tree returns the roots of the trace (spans whose parent is not in it:
// the real root, and any span whose parent has not arrived) and the
// children of each span by its id, all in start order.
func (tr Trace) Tree() (roots []Span, children map[string][]Span) {
	ids := make(map[string]bool, len(tr.Spans))
	for _, s := range tr.Spans {
		ids[s.SpanID] = true
	}
	children = map[string][]Span{}
	for _, s := range tr.Spans {
		if p := s.ParentID(); p != "" && ids[p] {
			children[p] = append(children[p], s)
		} else {
			roots = append(roots, s)
		}
	}
	byStart := func(a, b Span) int {
		return cmp.Or(cmp.Compare(a.StartTime, b.StartTime), cmp.Compare(a.SpanID, b.SpanID))
	}
	slices.SortFunc(roots, byStart)
	for _, c := range children {
		slices.SortFunc(c, byStart)
	}
	return roots, children
}

// Complete tells whether the trace looks whole: exactly one root, every
// referenced parent present, and every MCP or RPC CLIENT span with a child
// (its server's span). Services export in batches at their own pace, so a
// trace read early may lack any of these.
func (tr Trace) Complete() bool {
	roots, children := tr.Tree()
	if len(roots) != 1 || roots[0].ParentID() != "" {
		return false
	}
	for _, s := range tr.Spans {
		if s.Kind() != KindClient || len(children[s.SpanID]) > 0 {
			continue
		}
		if _, mcp := s.Tag("mcp.method.name"); mcp {
			return false
		}
		if _, rpc := s.Tag("rpc.system"); rpc {
			return false
		}
	}
	return true
}

// String renders the span tree, one span a line, for failure messages.
func (tr Trace) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trace %s (%d spans)\n", tr.TraceID, len(tr.Spans))
	roots, children := tr.Tree()
	var walk func(s Span, depth int)
	walk = func(s Span, depth int) {
		names := make([]string, 0, len(s.Logs))
		for _, ev := range s.Events() {
			names = append(names, ev.Name)
		}
		fmt.Fprintf(&b, "%s%s %s [%s] %s events=%v\n", strings.Repeat("  ", depth+1),
			tr.Service(s), s.OperationName, s.Kind(), s.SpanID, names)
		for _, c := range children[s.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}
