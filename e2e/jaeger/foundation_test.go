//go:build e2e

package jaeger_test

import (
	"context"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/jaegertest"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
	"github.com/tracegate/tracegate/telemetry"
)

const (
	clientService = "e2e-client"
	rootOperation = "e2e comment on a post"
	// waitTimeout is generous: two shared cores, -race.
	waitTimeout = 30 * time.Second
)

// TestCommentTraceInJaeger runs users, posts and comments in-process, each
// with its own providers exporting OTLP to a real Jaeger, makes one traced
// Comments.Create call and checks what Jaeger stored and printed: one trace
// across all services with the exact parent chain, the domain events as span
// logs, and the same events as OTLP log records with the same trace id.
func TestCommentTraceInJaeger(t *testing.T) {
	j := jaegertest.FromEnv(t)
	j.Setenv(t)
	otelErrs := recordOTelErrors(t)
	since := time.Now()

	reg := registry.NewMemoryRegistry()
	var flushes []func()
	for _, s := range []struct {
		name   string
		newSvc func(svc.Options) (*svc.Service, error)
	}{{users.Name, users.New}, {posts.Name, posts.New}, {comments.Name, comments.New}} {
		p, flush := providers(t, s.name)
		startService(t, s.newSvc, reg, p)
		flushes = append(flushes, flush)
	}
	clientP, clientFlush := providers(t, clientService)
	flushes = append(flushes, clientFlush)

	cli, err := microkit.NewClient(microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })

	// Seed data outside the asserted trace (each call starts a trace of its own).
	ctx := context.Background()
	u, err := users.NewClient(cli).Create(ctx, &users.CreateRequest{Name: "Ada Lovelace", Email: "ada@example.com"})
	if err != nil {
		t.Fatalf("Users.Create: %v", err)
	}
	p, err := posts.NewClient(cli).Create(ctx, &posts.CreateRequest{Title: "Tracing", Body: "All the way down.", AuthorID: u.User.ID})
	if err != nil {
		t.Fatalf("Posts.Create: %v", err)
	}

	// The asserted call: a root span in the client process, its context
	// carried in go-micro metadata by an uninstrumented client.
	ctx, root := clientP.TracerProvider.Tracer("e2e").Start(ctx, rootOperation, trace.WithSpanKind(trace.SpanKindInternal))
	c, err := comments.NewClient(cli).Create(telemetry.Inject(ctx, clientP.Propagator),
		&comments.CreateRequest{PostID: p.Post.ID, AuthorID: u.User.ID, Body: "Nice trace!"})
	root.End()
	if err != nil {
		t.Fatalf("Comments.Create: %v", err)
	}
	traceID := root.SpanContext().TraceID().String()

	for _, flush := range flushes {
		flush()
	}
	otelErrs.Check(t)

	want := commentTree(u.User.ID, p.Post.ID, c.Comment.ID)
	tr := j.WaitTrace(t, traceID, func(tr jaegertest.Trace) bool { return len(tr.Spans) >= len(want) }, waitTimeout)
	t.Logf("Jaeger has %s", tr)
	ids := assertTree(t, tr, want)
	assertLogRecords(t, j, traceID, want, ids)

	t.Run("tag search finds the trace by event attributes", func(t *testing.T) {
		found := j.FindTraces(t, comments.Name, map[string]string{
			string(svc.CommentIDKey): c.Comment.ID, string(svc.PostIDKey): p.Post.ID,
		}, since)
		if !jaegertest.HasTrace(found, traceID) {
			t.Errorf("search by %s=%s: %d traces, not %s", svc.CommentIDKey, c.Comment.ID, len(found), traceID)
		}
		if none := j.FindTraces(t, comments.Name, map[string]string{string(svc.CommentIDKey): "no-such-comment"}, since); jaegertest.HasTrace(none, traceID) {
			t.Errorf("search by an unknown comment id found %s", traceID)
		}
	})
}
