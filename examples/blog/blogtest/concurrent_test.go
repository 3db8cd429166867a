package blogtest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
)

func TestCreateConcurrentSafe(t *testing.T) {
	tc := newTraceCapture(t)
	_, lp := newEventCapture(t)
	st := blogtest.Start(t, blogtest.Options{TracerProvider: tc.tp, LoggerProvider: lp})
	u, p := seed(t, st)
	ctx := context.Background()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := st.Comments.Create(ctx, &comments.CreateRequest{PostID: p.ID, AuthorID: u.ID, Body: fmt.Sprint("c", i)})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := st.Posts.Create(ctx, &posts.CreateRequest{Title: fmt.Sprint("t", i), Body: "b", AuthorID: u.ID})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.Comments.List(ctx, &comments.ListRequest{PostID: p.ID})
	if err != nil || len(list.Comments) != n {
		t.Fatalf("comments = %d, %v; want %d", len(list.Comments), err, n)
	}
	ids := map[string]bool{}
	for _, c := range list.Comments {
		ids[c.ID] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct ids, want %d", len(ids), n)
	}
}
