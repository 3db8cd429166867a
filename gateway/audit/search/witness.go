package search

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// Defaults of a [Witness].
const (
	DefaultWitnessSince = 30 * 24 * time.Hour
	DefaultWitnessLimit = 100
)

// Witness is the trace backend as a witness of audit logs ([audit.Witness]):
// it finds the [audit.CheckpointSpanName] spans the gateway published,
// through Jaeger's query API (GET /api/traces with service, operation and
// tags). It vouches for a log only as long as Jaeger keeps the spans: give
// Jaeger persistent storage (Badger, Cassandra, Elasticsearch/OpenSearch)
// with a retention longer than the audit files'; the in-memory store
// forgets everything when it restarts.
type Witness struct {
	// URL is the query API base, e.g. http://127.0.0.1:16686.
	URL string
	// Service is the gateway's service name (default tracegate).
	Service string
	// Since is how far back to search (default [DefaultWitnessSince]).
	Since time.Duration
	// Limit caps the traces asked for (default [DefaultWitnessLimit]).
	Limit int
	// HTTPClient defaults to a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
}

var _ audit.Witness = Witness{}

// After returns the checkpoints of log whose previous checkpoint is prev
// (for prev "", every checkpoint of log) that Jaeger holds. Spans whose
// attributes do not read back as a checkpoint are skipped.
func (w Witness) After(ctx context.Context, log, prev string) ([]audit.WitnessedCheckpoint, error) {
	if w.Service == "" {
		w.Service = "tracegate"
	}
	if w.Since <= 0 {
		w.Since = DefaultWitnessSince
	}
	if w.Limit <= 0 {
		w.Limit = DefaultWitnessLimit
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	tags := map[string]string{audit.AttrLogID: log}
	if prev != "" {
		tags[audit.AttrCheckpointPrev] = prev
	}
	now := w.Now()
	c := &jaegerapi.Client{URL: strings.TrimRight(w.URL, "/"), HTTP: w.HTTPClient}
	traces, err := c.Find(ctx, jaegerapi.Query{Service: w.Service, Operation: audit.CheckpointSpanName, Tags: tags,
		Start: now.Add(-w.Since), End: now, Limit: w.Limit})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJaeger, err)
	}
	var out []audit.WitnessedCheckpoint
	for _, tr := range traces {
		for _, sp := range tr.SpansBy(w.Service, audit.CheckpointSpanName, "") {
			cp, err := audit.CheckpointFromAttributes(sp.Tag)
			if err != nil || cp.Log != log || (prev != "" && cp.Prev != prev) {
				continue
			}
			cp.TraceID, cp.Seen = jaegerapi.NormalizeID(sp.TraceID), time.UnixMicro(sp.StartTime).UTC()
			out = append(out, cp)
		}
	}
	return out, nil
}
