package blogtest_test

import (
	"context"
	"testing"

	"go-micro.dev/v5/errors"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/users"
)

// seed creates a user and a post by them.
func seed(t *testing.T, st *blogtest.Stack) (users.User, posts.Post) {
	t.Helper()
	ctx := context.Background()
	u, err := st.Users.Create(ctx, &users.CreateRequest{Name: "Ada Lovelace", Email: "ada@example.com"})
	if err != nil {
		t.Fatalf("Users.Create: %v", err)
	}
	p, err := st.Posts.Create(ctx, &posts.CreateRequest{Title: "Hello", Body: "First post.", AuthorID: u.User.ID})
	if err != nil {
		t.Fatalf("Posts.Create: %v", err)
	}
	return u.User, p.Post
}

// wantError checks err is a go-micro error with the code and id.
func wantError(t *testing.T, err error, code int32, id string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %d error from %s, got nil", code, id)
	}
	merr := errors.FromError(err)
	if merr.Code != code || merr.Id != id {
		t.Fatalf("error = %v; want code %d id %s", err, code, id)
	}
}
