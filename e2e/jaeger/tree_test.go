//go:build e2e

package jaeger_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/jaegertest"
	"github.com/tracegate/tracegate/telemetry"
)

// wantSpan is one span of the expected trace. parent names another wantSpan
// by key ("" for the root); event is the one domain event the span carries
// ("" for none) with its attributes.
type wantSpan struct {
	key, service, operation, kind, parent string
	event                                 string
	attrs                                 map[string]string
}

// commentTree is the trace of one Comments.Create: comments reads the post
// (Posts.Read), and posts reads its author (Users.Read).
func commentTree(userID, postID, commentID string) []wantSpan {
	op := func(service, endpoint string) string { return service + "/" + endpoint }
	return []wantSpan{
		{key: "root", service: clientService, operation: rootOperation, kind: jaegertest.KindInternal},
		{key: "comments server", service: comments.Name, operation: op(comments.Name, comments.EndpointCreate),
			kind: jaegertest.KindServer, parent: "root", event: comments.EventCreated, attrs: map[string]string{
				string(svc.CommentIDKey): commentID, string(svc.PostIDKey): postID, string(svc.AuthorIDKey): userID,
			}},
		{key: "posts client", service: comments.Name, operation: op(posts.Name, posts.EndpointRead),
			kind: jaegertest.KindClient, parent: "comments server"},
		{key: "posts server", service: posts.Name, operation: op(posts.Name, posts.EndpointRead),
			kind: jaegertest.KindServer, parent: "posts client", event: posts.EventRead, attrs: map[string]string{
				string(svc.PostIDKey): postID, string(svc.AuthorIDKey): userID,
			}},
		{key: "users client", service: posts.Name, operation: op(users.Name, users.EndpointRead),
			kind: jaegertest.KindClient, parent: "posts server"},
		{key: "users server", service: users.Name, operation: op(users.Name, users.EndpointRead),
			kind: jaegertest.KindServer, parent: "users client", event: users.EventRead, attrs: map[string]string{
				string(svc.UserIDKey): userID,
			}},
	}
}

// assertTree checks tr holds exactly the wanted spans, linked exactly as
// wanted, with their RPC tags and span events, and returns span ids by key.
func assertTree(t *testing.T, tr jaegertest.Trace, want []wantSpan) map[string]string {
	t.Helper()
	if len(tr.Spans) != len(want) {
		t.Fatalf("%d spans, want %d:\n%s", len(tr.Spans), len(want), tr)
	}
	wantServices := []string{}
	for _, w := range want {
		if !slices.Contains(wantServices, w.service) {
			wantServices = append(wantServices, w.service)
		}
	}
	slices.Sort(wantServices)
	if got := tr.Services(); !slices.Equal(got, wantServices) {
		t.Errorf("services %v, want %v", got, wantServices)
	}
	ids := map[string]string{}
	for _, w := range want {
		spans := tr.SpansBy(w.service, w.operation, w.kind)
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans %s %q [%s], want 1:\n%s", w.key, len(spans), w.service, w.operation, w.kind, tr)
		}
		s := spans[0]
		ids[w.key] = s.SpanID
		t.Run(w.key, func(t *testing.T) {
			assertParent(t, tr, s, w, ids)
			assertRPCTags(t, s, w)
			assertEvents(t, s, w)
		})
	}
	return ids
}

func assertParent(t *testing.T, tr jaegertest.Trace, s jaegertest.Span, w wantSpan, ids map[string]string) {
	t.Helper()
	if w.parent == "" {
		if len(s.References) != 0 {
			t.Errorf("root has references %+v:\n%s", s.References, tr)
		}
		return
	}
	if len(s.References) != 1 || s.References[0].RefType != jaegertest.RefChildOf {
		t.Errorf("references %+v, want one CHILD_OF", s.References)
	}
	if p, ok := tr.Parent(s); !ok || p.SpanID != ids[w.parent] {
		t.Errorf("parent %s, want %s (%s):\n%s", s.ParentID(), w.parent, ids[w.parent], tr)
	}
}

func assertRPCTags(t *testing.T, s jaegertest.Span, w wantSpan) {
	t.Helper()
	if _, ok := s.Tag("error"); ok {
		t.Errorf("span marked as error: %+v", s.Tags)
	}
	service, endpoint, rpc := strings.Cut(w.operation, "/")
	if !rpc {
		return
	}
	for key, want := range map[string]string{
		string(telemetry.RPCSystemKey):  telemetry.RPCSystemGoMicro,
		string(telemetry.RPCServiceKey): service,
		string(telemetry.RPCMethodKey):  endpoint,
	} {
		if got, _ := s.Tag(key); got != want {
			t.Errorf("tag %s = %q, want %q", key, got, want)
		}
	}
}

func assertEvents(t *testing.T, s jaegertest.Span, w wantSpan) {
	t.Helper()
	events := s.Events()
	if w.event == "" {
		if len(events) != 0 {
			t.Errorf("span logs %+v, want none", events)
		}
		return
	}
	if len(events) != 1 || events[0].Name != w.event {
		t.Fatalf("span logs %+v, want one %q", events, w.event)
	}
	want := maps.Clone(w.attrs)
	want[string(telemetry.EventNameKey)] = w.event
	if !maps.Equal(events[0].Fields, want) {
		t.Errorf("%s fields %v, want %v", w.event, events[0].Fields, want)
	}
}
