package users

import (
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/gateway/tool"
)

// New builds the users service; call Start on the result.
func New(o svc.Options) (*svc.Service, error) {
	s, err := svc.New(Name, o)
	if err != nil {
		return nil, err
	}
	h := &Users{store: svc.NewStore[User]("user"), events: s.Emitter()}
	err = s.Handle(h,
		tool.Endpoint(EndpointCreate,
			tool.Description("Create a blog user (an author or a reader). Returns the new user with its id."),
			tool.Scopes(svc.ScopeAdmin),
			tool.InputFor[CreateRequest](),
			tool.Example(CreateRequest{Name: "Ada Lovelace", Email: "ada@example.com", Roles: []string{"author"}}),
		),
		tool.Endpoint(EndpointRead,
			tool.Description("Read one blog user by id."),
			tool.Scopes(svc.ScopeRead),
			tool.InputFor[ReadRequest](),
		),
		tool.Endpoint(EndpointList,
			tool.Description("List blog users in creation order."),
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
