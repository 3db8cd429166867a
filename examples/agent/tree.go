package agent

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// treeTags are the span tags the tree shows, in this order.
var treeTags = []string{
	"tracegate.intent.id", "gen_ai.conversation.id", "tracegate.subject",
	"tracegate.authz.decision", "tracegate.ratelimit.decision",
	"http.response.status_code", "error.type",
}

// logField tells the span-log fields the tree shows: decisions, reasons,
// missing and challenged scopes, and the blog's domain ids.
func logField(key string) bool {
	for _, suffix := range []string{".decision", ".reason", ".missing", ".scope", "status_code"} {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return strings.HasPrefix(key, "blog.") && strings.HasSuffix(key, ".id")
}

// WriteTree prints tr as an indented tree, children in start order: per
// span its operation, service, kind and duration, key tags, then its span
// logs (OTel span events) with their key fields.
func WriteTree(w io.Writer, tr Trace) {
	services := map[string]bool{}
	for _, s := range tr.Spans {
		services[tr.Service(s)] = true
	}
	roots, children := tr.Tree()
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "trace %s: %d spans from %s\n", tr.TraceID, len(tr.Spans), strings.Join(names, ", "))

	var walk func(s Span, prefix string, root, last bool)
	walk = func(s Span, prefix string, root, last bool) {
		connector, childPrefix := "", prefix
		if !root {
			connector, childPrefix = "├─ ", prefix+"│  "
			if last {
				connector, childPrefix = "└─ ", prefix+"   "
			}
		}
		fmt.Fprintf(w, "%s%s%s\n", prefix, connector, spanLine(tr, s, root))
		kids := children[s.SpanID]
		logPrefix := childPrefix + "  "
		if len(kids) > 0 {
			logPrefix = childPrefix + "│ "
		}
		for _, l := range s.Logs {
			fmt.Fprintf(w, "%s· %s\n", logPrefix, logLine(l))
		}
		for i, c := range kids {
			walk(c, childPrefix, false, i == len(kids)-1)
		}
	}
	for _, r := range roots {
		walk(r, "", true, true)
	}
}

// spanLine is "operation [service, kind, duration] tag=value …".
func spanLine(tr Trace, s Span, root bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s, %s, %s]", s.OperationName, tr.Service(s), s.Kind(), micros(s.Duration))
	if p := s.ParentID(); p != "" && root {
		b.WriteString(" (parent " + p + " missing)")
	}
	for _, k := range treeTags {
		if (k == "tracegate.intent.id" || k == "gen_ai.conversation.id") && !root {
			continue
		}
		if v, ok := s.Tag(k); ok {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	if v, _ := s.Tag("otel.status_code"); v == "ERROR" {
		b.WriteString(" status=ERROR")
	}
	return b.String()
}

// logLine is "event-name key=value …" for the fields logField keeps.
func logLine(l Log) string {
	name := ""
	var fields []string
	for _, f := range l.Fields {
		switch {
		case f.Key == "event":
			name = f.String()
		case logField(f.Key):
			fields = append(fields, f.Key+"="+f.String())
		}
	}
	return strings.TrimSpace(name + " " + strings.Join(fields, " "))
}

// micros renders a duration in µs with a sensible unit.
func micros(us int64) string {
	d := time.Duration(us) * time.Microsecond
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.String()
}
