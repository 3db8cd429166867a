package search

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// spanStore is a fake Jaeger query API over recorded spans: it answers
// /api/traces by service, operation and tags (exact string match), as
// Jaeger's storage does.
type spanStore struct {
	mu    sync.Mutex
	spans *tracetest.InMemoryExporter
	asked []string
}

func (s *spanStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.asked = append(s.asked, r.URL.RawQuery)
	s.mu.Unlock()
	var want map[string]string
	_ = json.Unmarshal([]byte(q.Get("tags")), &want)
	var data []jaegerapi.Trace
	for _, st := range s.spans.GetSpans() {
		if q.Get("service") != "tracegate" || (q.Get("operation") != "" && st.Name != q.Get("operation")) {
			continue
		}
		tags := map[string]string{}
		sp := jaegerapi.Span{TraceID: st.SpanContext.TraceID().String(), SpanID: st.SpanContext.SpanID().String(),
			OperationName: st.Name, StartTime: st.StartTime.UnixMicro(), ProcessID: "p1"}
		for _, kv := range st.Attributes {
			tags[string(kv.Key)] = kv.Value.Emit()
			typ := "string"
			if kv.Value.Type() == attribute.INT64 {
				typ = "int64"
			}
			sp.Tags = append(sp.Tags, jaegerapi.KeyValue{Key: string(kv.Key), Type: typ, Value: kv.Value.AsInterface()})
		}
		match := true
		for k, v := range want {
			match = match && tags[k] == v
		}
		if match {
			data = append(data, jaegerapi.Trace{TraceID: sp.TraceID, Spans: []jaegerapi.Span{sp},
				Processes: map[string]jaegerapi.Process{"p1": {ServiceName: "tracegate"}}})
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

// A log whose checkpoints went to the fake Jaeger; cutting the file before
// its last checkpoints is reported as truncated through the Witness.
func TestWitnessFindsCutCheckpoints(t *testing.T) {
	store := &spanStore{spans: tracetest.NewInMemoryExporter()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(store.spans),
		sdktrace.WithSampler(audit.CheckpointSampler(sdktrace.NeverSample())))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	srv := httptest.NewServer(store)
	t.Cleanup(srv.Close)

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mac := []byte(strings.Repeat("m", 40))
	cfg := audit.DefaultConfig()
	cfg.File.Path = filepath.Join(t.TempDir(), "audit.jsonl")
	cfg.File.CheckpointEvery, cfg.File.CheckpointInterval = 3, 0
	r, err := audit.New(cfg, audit.WithTracerProvider(tp), audit.WithLogger(quiet{}),
		audit.WithFileOptions(audit.WithSigningKey(priv), audit.WithMACKey(mac)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 9 {
		if _, err := r.Record(ctx, audit.Fields{Tool: "posts.Posts.Delete", Subject: fmt.Sprint("u", i), Decision: audit.Deny}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wit := Witness{URL: srv.URL + "/", Now: func() time.Time { return time.Now().Add(time.Minute) }}
	trust := audit.VerifyConfig{PublicKey: pub, MACKey: mac, Witness: wit}
	rep, err := audit.VerifyFiles(ctx, trust, cfg.File.Path)
	if err != nil || rep.Status != audit.StatusIntact || rep.Witnessed != 0 {
		t.Fatalf("untouched: %v %s %d", err, rep.Result, rep.Witnessed)
	}
	all, err := wit.After(ctx, rep.Log, "")
	if err != nil || len(all) != 3 || all[2].Seq != 9 || all[2].Hash != rep.LastCheckpoint || all[0].TraceID == "" {
		t.Fatalf("checkpoints %+v %v", all, err)
	}
	if q := store.asked[len(store.asked)-1]; !strings.Contains(q, "operation=tracegate.audit.checkpoint") || !strings.Contains(q, "service=tracegate") {
		t.Fatalf("query %s", q)
	}

	// Cut before the checkpoint at 6 (a record boundary).
	data, err := os.ReadFile(cfg.File.Path)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.Index(string(data), `{"type":"checkpoint","count":6,`)
	if err := os.WriteFile(cfg.File.Path, data[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err = audit.VerifyFiles(ctx, trust, cfg.File.Path)
	if err != nil || rep.Status != audit.StatusTruncated || rep.ExitCode() != audit.ExitTampered || !rep.Has(audit.Truncated) {
		t.Fatalf("cut: %v %s %v", err, rep.Result, rep.Findings)
	}

	// A witness that cannot be asked is an error, not a verdict.
	srv.Close()
	if _, err := audit.VerifyFiles(ctx, trust, cfg.File.Path); !errors.Is(err, ErrJaeger) {
		t.Fatalf("unreachable witness: %v", err)
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
