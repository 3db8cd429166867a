package jaegerapi_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/internal/jaegerapi"
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
		{"e2e-client", "e2e comment on a post", jaegerapi.KindInternal, rootID, ""},
		{commentsService, "comments/Comments.Create", jaegerapi.KindServer, commentsServer, rootID},
		{commentsService, "posts/Posts.Read", jaegerapi.KindClient, postsClientID, commentsServer},
		{"posts", "posts/Posts.Read", jaegerapi.KindServer, postsServerID, postsClientID},
		{"posts", "", jaegerapi.KindClient, usersClientID, postsServerID},
		{"users", "users/Users.Read", "", usersServerID, usersClientID},
	} {
		t.Run(tc.service+" "+tc.op+" "+tc.kind, func(t *testing.T) {
			s, ok := tr.SpanBy(tc.service, tc.op, tc.kind)
			if !ok || s.SpanID != tc.wantID {
				t.Fatalf("SpanBy = %s, %v; want %s", s.SpanID, ok, tc.wantID)
			}
			p, ok := tr.Parent(s)
			if ok != (tc.parentID != "") || p.SpanID != tc.parentID || s.ParentID() != tc.parentID {
				t.Fatalf("Parent = %s, %v; ParentID = %s; want %q", p.SpanID, ok, s.ParentID(), tc.parentID)
			}
		})
	}
	if _, ok := tr.SpanBy("users", "", jaegerapi.KindClient); ok {
		t.Fatal("SpanBy found a users CLIENT span")
	}
	if n := len(tr.SpansBy("", "posts/Posts.Read", "")); n != 2 {
		t.Fatalf("SpansBy(posts/Posts.Read) = %d spans, want 2", n)
	}
	if _, ok := tr.SpanByID("0000000000000000"); ok {
		t.Fatal("SpanByID found an unknown span")
	}
}

func TestSpanTagsAndEvents(t *testing.T) {
	tr := loadTrace(t)
	s, _ := tr.SpanBy(commentsService, "comments/Comments.Create", jaegerapi.KindServer)
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

func TestSpanKindDefaultsToInternal(t *testing.T) {
	for _, tc := range []struct {
		tags []jaegerapi.KeyValue
		want string
	}{
		{nil, jaegerapi.KindInternal},
		{[]jaegerapi.KeyValue{{Key: "span.kind", Value: ""}}, jaegerapi.KindInternal},
		{[]jaegerapi.KeyValue{{Key: "span.kind", Value: "producer"}}, jaegerapi.KindProducer},
	} {
		if got := (jaegerapi.Span{Tags: tc.tags}).Kind(); got != tc.want {
			t.Errorf("Kind() with %v = %q, want %q", tc.tags, got, tc.want)
		}
	}
}

func TestKeyValueString(t *testing.T) {
	for _, tc := range []struct {
		json      string
		useNumber bool
		want      string
	}{
		{`{"key":"k","type":"string","value":"a b"}`, true, "a b"},
		{`{"key":"k","type":"int64","value":9007199254740993}`, true, "9007199254740993"},
		{`{"key":"k","type":"float64","value":0.5}`, true, "0.5"},
		{`{"key":"k","type":"bool","value":true}`, true, "true"},
		{`{"key":"k","type":"string","value":null}`, true, ""},
		// Decoded without UseNumber (json.Unmarshal): float64, still in JSON.
		{`{"key":"k","type":"int64","value":1767323045000000}`, false, "1767323045000000"},
		{`{"key":"k","type":"float64","value":0.25}`, false, "0.25"},
	} {
		var span jaegerapi.Span
		dec := json.NewDecoder(strings.NewReader(`{"tags":[` + tc.json + `]}`))
		if tc.useNumber {
			dec.UseNumber()
		}
		if err := dec.Decode(&span); err != nil {
			t.Fatal(err)
		}
		if got, _ := span.Tag("k"); got != tc.want {
			t.Errorf("%s (UseNumber %v): Tag = %q, want %q", tc.json, tc.useNumber, got, tc.want)
		}
	}
}

func TestTreeAndComplete(t *testing.T) {
	tr := loadTrace(t)
	roots, children := tr.Tree()
	if len(roots) != 1 || roots[0].SpanID != rootID || !tr.Complete() {
		t.Fatalf("roots %v, Complete %v; want the one root %s and a complete trace", roots, tr.Complete(), rootID)
	}
	if kids := children[postsServerID]; len(kids) != 1 || kids[0].SpanID != usersClientID {
		t.Fatalf("children of posts server = %v, want the users client", kids)
	}
	for _, tc := range []struct {
		name   string
		drop   string
		roots  int
		parent string // the ParentID of the first root
	}{
		{"a server span, so its RPC client waits", usersServerID, 1, ""},
		{"a parent, so its child dangles", commentsServer, 2, ""},
		{"the root", rootID, 1, rootID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cut := tr
			cut.Spans = slices.DeleteFunc(slices.Clone(tr.Spans), func(s jaegerapi.Span) bool { return s.SpanID == tc.drop })
			roots, _ := cut.Tree()
			if len(roots) != tc.roots || roots[0].ParentID() != tc.parent {
				t.Errorf("Tree roots = %v, want %d with the first's parent %q", roots, tc.roots, tc.parent)
			}
			if cut.Complete() {
				t.Error("Complete without it")
			}
		})
	}
	if (jaegerapi.Trace{}).Complete() {
		t.Error("an empty trace is complete")
	}
}

func TestNormalizeID(t *testing.T) {
	for in, want := range map[string]string{
		"8448eb211c80319c":                 "00000000000000008448eb211c80319c",
		"AF7651916CD43DD8448EB211C80319C":  "0af7651916cd43dd8448eb211c80319c",
		"0af7651916cd43dd8448eb211c80319c": "0af7651916cd43dd8448eb211c80319c",
	} {
		if got := jaegerapi.NormalizeID(in); got != want {
			t.Errorf("NormalizeID(%s) = %s, want %s", in, got, want)
		}
	}
}
