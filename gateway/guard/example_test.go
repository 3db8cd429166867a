package guard_test

import (
	"context"
	"fmt"

	"github.com/tracegate/tracegate/gateway/guard"
)

func ExampleIdentityFrom() {
	// In a go-micro handler behind the wrapper:
	ctx := guard.ContextWithIdentity(context.Background(), guard.Identity{Subject: "alice", Tool: "posts.Posts.Create"})
	if id, ok := guard.IdentityFrom(ctx); ok {
		fmt.Println(id.Subject, "called", id.Tool)
	}
	// Output: alice called posts.Posts.Create
}
