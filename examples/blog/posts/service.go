package posts

import (
	"time"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway/tool"
)

// readAuthor is the downstream endpoint Create and Read call (Posts.author).
const readAuthor = users.Name + "." + users.EndpointRead

// New builds the posts service; it finds the users service through
// o.Registry. Call Start on the result.
func New(o svc.Options) (*svc.Service, error) {
	s, err := svc.New(Name, o)
	if err != nil {
		return nil, err
	}
	h := &Posts{store: svc.NewStore[Post]("post"), users: users.NewClient(s.Client()), events: s.Emitter()}
	publish := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	err = s.Handle(h,
		tool.Endpoint(EndpointCreate,
			tool.Description("Publish a blog post by an existing user, with optional tags, metadata, attachments and a publication time. Returns the new post with its id."),
			tool.Scopes(svc.ScopeWrite),
			tool.InputFor[CreateRequest](),
			tool.Calls(readAuthor),
			tool.Example(CreateRequest{
				Title: "Tracing go-micro", Body: "Spans all the way down.", AuthorID: "user-1",
				Tags: []string{"go", "otel"}, PublishAt: &publish,
			}),
		),
		tool.Endpoint(EndpointRead,
			tool.Description("Read one blog post by id, with its author."),
			tool.Scopes(svc.ScopeRead),
			tool.InputFor[ReadRequest](),
			tool.Calls(readAuthor),
		),
		tool.Endpoint(EndpointList,
			tool.Description("List blog posts in creation order, optionally only those by one author or with one tag."),
			tool.Scopes(svc.ScopeRead),
			tool.InputFor[ListRequest](),
		),
		tool.Endpoint(EndpointDelete,
			tool.Description("Delete a blog post by id."),
			tool.Scopes(svc.ScopeAdmin),
			tool.InputFor[DeleteRequest](),
		),
	)
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}
