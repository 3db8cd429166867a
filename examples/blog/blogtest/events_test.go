package blogtest_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
)

func TestDomainEvents(t *testing.T) {
	tc := newTraceCapture(t)
	ec, lp := newEventCapture(t)
	st := blogtest.Start(t, blogtest.Options{TracerProvider: tc.tp, LoggerProvider: lp})
	ctx := context.Background()
	u, p := seed(t, st)
	c, err := st.Comments.Create(ctx, &comments.CreateRequest{PostID: p.ID, AuthorID: u.ID, Body: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	mustCall := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = st.Users.List(ctx, &users.ListRequest{})
	mustCall(err)
	_, err = st.Posts.List(ctx, &posts.ListRequest{AuthorID: u.ID})
	mustCall(err)
	_, err = st.Comments.List(ctx, &comments.ListRequest{PostID: p.ID})
	mustCall(err)
	_, err = st.Posts.Delete(ctx, &posts.DeleteRequest{ID: p.ID})
	mustCall(err)
	_, err = st.Users.Read(ctx, &users.ReadRequest{ID: "user-404"}) // failures emit nothing
	if err == nil {
		t.Fatal("want an error")
	}

	tests := []struct {
		event string
		count int // events with that name
		span  string
		attrs map[attribute.Key]string
	}{
		{users.EventCreated, 1, "users/Users.Create", map[attribute.Key]string{svc.UserIDKey: u.ID}},
		// Posts.Create and Posts.Read (from Comments.Create) each read the author.
		{users.EventRead, 2, "users/Users.Read", map[attribute.Key]string{svc.UserIDKey: u.ID}},
		{users.EventListed, 1, "users/Users.List", map[attribute.Key]string{svc.CountKey: "1"}},
		{posts.EventCreated, 1, "posts/Posts.Create", map[attribute.Key]string{svc.PostIDKey: p.ID, svc.AuthorIDKey: u.ID}},
		{posts.EventRead, 1, "posts/Posts.Read", map[attribute.Key]string{svc.PostIDKey: p.ID, svc.AuthorIDKey: u.ID}},
		{posts.EventListed, 1, "posts/Posts.List", map[attribute.Key]string{svc.AuthorIDKey: u.ID, svc.CountKey: "1"}},
		{posts.EventDeleted, 1, "posts/Posts.Delete", map[attribute.Key]string{svc.PostIDKey: p.ID}},
		{comments.EventCreated, 1, "comments/Comments.Create", map[attribute.Key]string{
			svc.CommentIDKey: c.Comment.ID, svc.PostIDKey: p.ID, svc.AuthorIDKey: u.ID}},
		{comments.EventListed, 1, "comments/Comments.List", map[attribute.Key]string{svc.PostIDKey: p.ID, svc.CountKey: "1"}},
	}
	total := 0
	for _, tt := range tests {
		total += tt.count
		got := ec.named(tt.event)
		if len(got) != tt.count {
			t.Errorf("%s: %d events, want %d", tt.event, len(got), tt.count)
			continue
		}
		e := got[len(got)-1]
		for k, v := range tt.attrs {
			if e.attrs[k] != v {
				t.Errorf("%s: %s = %q, want %q", tt.event, k, e.attrs[k], v)
			}
		}
		// The record carries the SERVER span's ids and is mirrored onto it.
		var s *tracetest.SpanStub
		for _, span := range tc.find(tt.span, trace.SpanKindServer) {
			if span.SpanContext.TraceID() == e.traceID && span.SpanContext.SpanID() == e.spanID {
				s = &span
			}
		}
		if s == nil {
			t.Errorf("%s: record ids %s/%s are not those of a %s SERVER span", tt.event, e.traceID, e.spanID, tt.span)
			continue
		}
		if len(s.Events) != 1 || s.Events[0].Name != tt.event {
			t.Errorf("%s: span %s events = %v, want exactly this one", tt.event, tt.span, s.Events)
		}
	}
	// Domain events only: the services' go-micro clients also report
	// registry events (tracegate.registry.*, tracegate.node.*) when a
	// lookup misses, which depends on timing.
	domain := 0
	for _, e := range ec.events {
		if !strings.HasPrefix(e.name, "tracegate.") {
			domain++
		}
	}
	if domain != total {
		t.Errorf("%d domain events in all, want %d (one per successful call)", domain, total)
	}
}
