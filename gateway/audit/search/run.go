package search

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// RegisterFlags adds the search flags to fs (--since, --tool, --subject,
// --decision, --intent, --service, --jaeger, --jaeger-ui, --limit, --json).
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.JaegerURL, "jaeger", "http://127.0.0.1:16686", "Jaeger query base URL")
	fs.StringVar(&o.JaegerUIURL, "jaeger-ui", "", "where the TRACE URL column links: the Jaeger UI's base URL, "+
		"or a URL with {trace_id}, e.g. http://127.0.0.1:16686/api/v3/traces/{trace_id} for the local Jaeger build, whose UI is a placeholder (default: --jaeger)")
	fs.StringVar(&o.Service, "service", "tracegate", "gateway service name in Jaeger")
	fs.DurationVar(&o.Since, "since", time.Hour, "look back this far")
	fs.StringVar(&o.Tool, "tool", "", "only this tool")
	fs.StringVar(&o.Subject, "subject", "", "only this subject")
	fs.StringVar(&o.Decision, "decision", "", "only allow or deny")
	fs.StringVar(&o.Intent, "intent", "", "only this intent id")
	fs.IntVar(&o.Limit, "limit", 100, "maximum traces to fetch")
	fs.BoolVar(&o.JSON, "json", false, "print JSON lines")
}

// Run queries Jaeger and prints the entries to w: a table, or one JSON
// object per line with o.JSON.
func Run(ctx context.Context, w io.Writer, o Options) error {
	entries, err := Query(ctx, o)
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("search: write: %w", err)
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTRACE ID\tSUBJECT\tTOOL\tDECISION\tREASON\tDURATION\tTRACE URL")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Format(time.RFC3339), e.TraceID,
			dash(e.Subject), dash(e.Tool), dash(e.Decision), dash(e.Reason), e.Duration.Round(time.Microsecond), e.URL)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("search: write: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
