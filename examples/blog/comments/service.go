package comments

import (
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/gateway/tool"
)

// New builds the comments service; it finds the posts service through
// o.Registry. Call Start on the result.
func New(o svc.Options) (*svc.Service, error) {
	s, err := svc.New(Name, o)
	if err != nil {
		return nil, err
	}
	h := &Comments{store: svc.NewStore[Comment]("comment"), posts: posts.NewClient(s.Client()), events: s.Emitter()}
	err = s.Handle(h,
		tool.Endpoint(EndpointCreate,
			tool.Description("Comment on an existing blog post, optionally as a reply to another comment on it. Returns the new comment with its id."),
			tool.Scopes(svc.ScopeWrite),
			tool.InputFor[CreateRequest](),
			tool.Calls(posts.Name+"."+posts.EndpointRead), // the post must exist
			tool.Example(CreateRequest{PostID: "post-1", AuthorID: "user-2", Body: "Nice trace!"}),
		),
		tool.Endpoint(EndpointList,
			tool.Description("List the comments on a blog post in creation order."),
			tool.Scopes(svc.ScopeRead),
			tool.InputFor[ListRequest](),
		),
	)
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}
