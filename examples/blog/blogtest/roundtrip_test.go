package blogtest_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"go-micro.dev/v5/codec/bytes"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/users"
)

func nestedPost(authorID string) *posts.CreateRequest {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890, time.FixedZone("CET", 3600))
	return &posts.CreateRequest{
		Title:    "Nested",
		Body:     "Body with \"quotes\" and ünïcode.",
		AuthorID: authorID,
		Tags:     []string{"go", "otel", "mcp"},
		Metadata: map[string]string{"lang": "en", "series": "tracing"},
		Attachments: []posts.Attachment{
			{Name: "diagram.png", URL: "https://example.com/d.png", Size: math.MaxInt64, ContentType: "image/png"},
			{Name: "notes.txt", URL: "https://example.com/n.txt"},
		},
		PublishAt: &at,
	}
}

// sameFields compares the request with the stored post on the request's
// JSON fields.
func sameFields(t *testing.T, req *posts.CreateRequest, got posts.Post) {
	t.Helper()
	if got.Title != req.Title || got.Body != req.Body || got.AuthorID != req.AuthorID ||
		!reflect.DeepEqual(got.Tags, req.Tags) || !reflect.DeepEqual(got.Metadata, req.Metadata) ||
		!reflect.DeepEqual(got.Attachments, req.Attachments) {
		t.Fatalf("post differs from request:\n got %+v\nwant %+v", got, req)
	}
	if got.PublishAt == nil || !got.PublishAt.Equal(*req.PublishAt) {
		t.Fatalf("publish_at = %v, want %v", got.PublishAt, req.PublishAt)
	}
}

func TestNestedRequestRoundTrip(t *testing.T) {
	st := blogtest.Start(t, blogtest.Options{})
	ctx := context.Background()
	u, err := st.Users.Create(ctx, &users.CreateRequest{Name: "Grace", Email: "grace@example.com", Roles: []string{"author"}})
	if err != nil {
		t.Fatal(err)
	}
	req := nestedPost(u.User.ID)
	created, err := st.Posts.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	sameFields(t, req, created.Post)

	read, err := st.Posts.Read(ctx, &posts.ReadRequest{ID: created.Post.ID})
	if err != nil {
		t.Fatal(err)
	}
	sameFields(t, req, read.Post)
	if read.Author.ID != u.User.ID || read.Author.Name != "Grace" || !reflect.DeepEqual(read.Author.Roles, []string{"author"}) {
		t.Fatalf("author = %+v", read.Author)
	}
}

// TestRawJSONRoundTrip calls the way the gateway dispatches: a raw JSON body
// in a bytes.Frame, the raw JSON response back.
func TestRawJSONRoundTrip(t *testing.T) {
	st := blogtest.Start(t, blogtest.Options{})
	ctx := context.Background()
	u, err := st.Users.Create(ctx, &users.CreateRequest{Name: "Linus", Email: "linus@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	req := nestedPost(u.User.ID)
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Frame
	if err := st.Client.Call(ctx, st.Client.NewRequest("posts", posts.EndpointCreate, &bytes.Frame{Data: raw}), &out); err != nil {
		t.Fatal(err)
	}
	var rsp posts.CreateResponse
	if err := json.Unmarshal(out.Data, &rsp); err != nil {
		t.Fatalf("response %q: %v", out.Data, err)
	}
	sameFields(t, req, rsp.Post)
}
