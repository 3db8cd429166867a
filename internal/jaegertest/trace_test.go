package jaegertest_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/internal/jaegertest"
)

// The spans of testdata/trace.json.
const (
	rootID          = "fd883b936d0f6d7f"
	commentsServer  = "bbf805cfadfe9e7d"
	postsClientID   = "546436f6a53e5edc"
	postsServerID   = "b08449831008b320"
	usersClientID   = "b11561ce81a44ca5"
	usersServerID   = "abb7c63bd3b214d5"
	commentsService = "comments"
)

func TestTraceHelpers(t *testing.T) {
	tr := loadTrace(t)
	if got, want := tr.Services(), []string{"comments", "e2e-client", "posts", "users"}; !slices.Equal(got, want) {
		t.Fatalf("Services() = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		service, op, kind string
		wantID, parentID  string // parentID "" : no parent in the trace
	}{
		{"e2e-client", "e2e comment on a post", jaegertest.KindInternal, rootID, ""},
		{commentsService, "comments/Comments.Create", jaegertest.KindServer, commentsServer, rootID},
		{commentsService, "posts/Posts.Read", jaegertest.KindClient, postsClientID, commentsServer},
		{"posts", "posts/Posts.Read", jaegertest.KindServer, postsServerID, postsClientID},
		{"posts", "", jaegertest.KindClient, usersClientID, postsServerID},
		{"users", "users/Users.Read", "", usersServerID, usersClientID},
	} {
		t.Run(tc.service+" "+tc.op+" "+tc.kind, func(t *testing.T) {
			s, ok := tr.SpanBy(tc.service, tc.op, tc.kind)
			if !ok || s.SpanID != tc.wantID {
				t.Fatalf("SpanBy = %s, %v; want %s", s.SpanID, ok, tc.wantID)
			}
			p, ok := tr.Parent(s)
			if ok != (tc.parentID != "") || p.SpanID != tc.parentID {
				t.Fatalf("Parent = %s, %v; want %q", p.SpanID, ok, tc.parentID)
			}
		})
	}
	if _, ok := tr.SpanBy("users", "", jaegertest.KindClient); ok {
		t.Fatal("SpanBy found a users CLIENT span")
	}
	if n := len(tr.SpansBy("", "posts/Posts.Read", "")); n != 2 {
		t.Fatalf("SpansBy(posts/Posts.Read) = %d spans, want 2", n)
	}
}

func TestSpanTagsAndEvents(t *testing.T) {
	tr := loadTrace(t)
	s, _ := tr.SpanBy(commentsService, "comments/Comments.Create", jaegertest.KindServer)
	for key, want := range map[string]string{"rpc.system": "go-micro", "rpc.method": "Comments.Create", "span.kind": "server"} {
		if got, ok := s.Tag(key); !ok || got != want {
			t.Errorf("Tag(%s) = %q, %v; want %q", key, got, ok, want)
		}
	}
	if _, ok := s.Tag("error"); ok {
		t.Error("Tag(error) found")
	}
	evs := s.Events()
	want := map[string]string{
		"blog.comment.id": "comment-1", "blog.post.id": "post-1", "blog.author.id": "user-1", "event.name": "blog.comment.created",
	}
	if len(evs) != 1 || evs[0].Name != "blog.comment.created" || !maps.Equal(evs[0].Fields, want) {
		t.Fatalf("Events() = %+v, want one blog.comment.created with %v", evs, want)
	}
	if evs[0].Time.UnixMicro() != s.Logs[0].Timestamp {
		t.Fatalf("event time %v, want %d µs", evs[0].Time, s.Logs[0].Timestamp)
	}
	if !strings.Contains(tr.String(), "      posts posts/Posts.Read [server] "+postsServerID+" events=[blog.post.read]") {
		t.Fatalf("String() does not indent the tree:\n%s", tr)
	}
}

func TestKeyValueString(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"key":"k","type":"string","value":"a b"}`, "a b"},
		{`{"key":"k","type":"int64","value":9007199254740993}`, "9007199254740993"},
		{`{"key":"k","type":"float64","value":0.5}`, "0.5"},
		{`{"key":"k","type":"bool","value":true}`, "true"},
	} {
		var span jaegertest.Span
		dec := json.NewDecoder(strings.NewReader(`{"tags":[` + tc.json + `]}`))
		dec.UseNumber()
		if err := dec.Decode(&span); err != nil {
			t.Fatal(err)
		}
		if got, _ := span.Tag("k"); got != tc.want {
			t.Errorf("%s: Tag = %q, want %q", tc.json, got, tc.want)
		}
	}
}

func TestNormalizeID(t *testing.T) {
	for in, want := range map[string]string{
		"8448eb211c80319c":                 "00000000000000008448eb211c80319c",
		"AF7651916CD43DD8448EB211C80319C":  "0af7651916cd43dd8448eb211c80319c",
		"0af7651916cd43dd8448eb211c80319c": "0af7651916cd43dd8448eb211c80319c",
	} {
		if got := jaegertest.NormalizeID(in); got != want {
			t.Errorf("NormalizeID(%s) = %s, want %s", in, got, want)
		}
	}
}
