package blogtest_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/users"
)

func TestCommentCreateCallsPostsThenUsers(t *testing.T) {
	tc := newTraceCapture(t)
	st := blogtest.Start(t, blogtest.Options{TracerProvider: tc.tp})
	u, p := seed(t, st)
	tc.exp.Reset()

	rsp, err := st.Comments.Create(context.Background(), &comments.CreateRequest{PostID: p.ID, AuthorID: u.ID, Body: "Nice."})
	if err != nil {
		t.Fatal(err)
	}
	if c := rsp.Comment; c.ID != "comment-1" || c.PostID != p.ID || c.AuthorID != u.ID || c.Body != "Nice." {
		t.Fatalf("comment = %+v", c)
	}

	// comments SERVER -> posts CLIENT -> posts SERVER -> users CLIENT -> users SERVER
	chain := []struct {
		name string
		kind trace.SpanKind
	}{
		{"comments/Comments.Create", trace.SpanKindServer},
		{"posts/Posts.Read", trace.SpanKindClient},
		{"posts/Posts.Read", trace.SpanKindServer},
		{"users/Users.Read", trace.SpanKindClient},
		{"users/Users.Read", trace.SpanKindServer},
	}
	if n := len(tc.spans()); n != len(chain) {
		t.Errorf("got %d spans, want %d (one CLIENT span per downstream call)", n, len(chain))
	}
	var parent trace.SpanContext
	for i, link := range chain {
		got := tc.find(link.name, link.kind)
		if len(got) != 1 {
			t.Fatalf("%s %s: %d spans, want 1", link.kind, link.name, len(got))
		}
		s := got[0]
		if i == 0 {
			if s.Parent.IsValid() {
				t.Errorf("root %s has parent %s", s.Name, s.Parent.SpanID())
			}
		} else if s.Parent.SpanID() != parent.SpanID() || s.SpanContext.TraceID() != parent.TraceID() {
			t.Errorf("%s %s: parent %s/%s, want %s/%s", link.kind, link.name,
				s.Parent.TraceID(), s.Parent.SpanID(), parent.TraceID(), parent.SpanID())
		}
		parent = s.SpanContext
	}
}

func TestMissingReferences(t *testing.T) {
	st := blogtest.Start(t, blogtest.Options{})
	ctx := context.Background()
	u, p := seed(t, st)

	_, err := st.Posts.Create(ctx, &posts.CreateRequest{Title: "T", Body: "B", AuthorID: "user-404"})
	wantError(t, err, 400, "posts.Posts.Create")
	if !strings.Contains(err.Error(), `author \"user-404\" not found`) {
		t.Errorf("detail = %v", err)
	}

	_, err = st.Comments.Create(ctx, &comments.CreateRequest{PostID: "post-404", AuthorID: u.ID, Body: "?"})
	wantError(t, err, 400, "comments.Comments.Create")

	_, err = st.Comments.Create(ctx, &comments.CreateRequest{PostID: p.ID, AuthorID: u.ID, Body: "?", ReplyTo: "comment-9"})
	wantError(t, err, 400, "comments.Comments.Create")

	_, err = st.Users.Read(ctx, &users.ReadRequest{ID: "user-404"})
	wantError(t, err, 404, "users.Users.Read")

	_, err = st.Posts.Read(ctx, &posts.ReadRequest{ID: "post-404"})
	wantError(t, err, 404, "posts.Posts.Read")

	if _, err := st.Posts.Delete(ctx, &posts.DeleteRequest{ID: p.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = st.Posts.Delete(ctx, &posts.DeleteRequest{ID: p.ID})
	wantError(t, err, 404, "posts.Posts.Delete")
}

func TestValidation(t *testing.T) {
	st := blogtest.Start(t, blogtest.Options{})
	ctx := context.Background()
	u, p := seed(t, st)
	tests := []struct {
		name string
		call func() error
		id   string
	}{
		{"user without name", func() error {
			_, err := st.Users.Create(ctx, &users.CreateRequest{Email: "x@example.com"})
			return err
		}, "users.Users.Create"},
		{"user with bad email", func() error {
			_, err := st.Users.Create(ctx, &users.CreateRequest{Name: "X", Email: "nope"})
			return err
		}, "users.Users.Create"},
		{"negative limit", func() error {
			_, err := st.Users.List(ctx, &users.ListRequest{Limit: -1})
			return err
		}, "users.Users.List"},
		{"post without title", func() error {
			_, err := st.Posts.Create(ctx, &posts.CreateRequest{Body: "B", AuthorID: u.ID})
			return err
		}, "posts.Posts.Create"},
		{"attachment without url", func() error {
			_, err := st.Posts.Create(ctx, &posts.CreateRequest{Title: "T", Body: "B", AuthorID: u.ID,
				Attachments: []posts.Attachment{{Name: "a.png"}}})
			return err
		}, "posts.Posts.Create"},
		{"comment without body", func() error {
			_, err := st.Comments.Create(ctx, &comments.CreateRequest{PostID: p.ID, AuthorID: u.ID, Body: " "})
			return err
		}, "comments.Comments.Create"},
		{"comments of no post", func() error {
			_, err := st.Comments.List(ctx, &comments.ListRequest{})
			return err
		}, "comments.Comments.List"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantError(t, tc.call(), 400, tc.id) })
	}

	_, err := st.Users.Create(ctx, &users.CreateRequest{Name: "Ada again", Email: "ADA@example.com"})
	wantError(t, err, 409, "users.Users.Create")
}
