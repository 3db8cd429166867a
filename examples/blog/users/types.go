package users

import "time"

// Service and endpoint names.
const (
	Name           = "users"
	EndpointCreate = "Users.Create"
	EndpointRead   = "Users.Read"
	EndpointList   = "Users.List"
)

// Domain events, one per successful call.
const (
	EventCreated = "blog.user.created"
	EventRead    = "blog.user.read"
	EventListed  = "blog.user.listed"
)

// User is a blog user.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Bio       string    `json:"bio,omitempty"`
	Roles     []string  `json:"roles,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateRequest creates a user.
type CreateRequest struct {
	Name  string   `json:"name" jsonschema:"display name"`
	Email string   `json:"email" jsonschema:"e-mail address, unique"`
	Bio   string   `json:"bio,omitempty" jsonschema:"short biography"`
	Roles []string `json:"roles,omitempty" jsonschema:"roles such as author or editor"`
}

// CreateResponse carries the new user.
type CreateResponse struct {
	User User `json:"user"`
}

// ReadRequest names a user.
type ReadRequest struct {
	ID string `json:"id" jsonschema:"user id, e.g. user-1"`
}

// ReadResponse carries the user.
type ReadResponse struct {
	User User `json:"user"`
}

// ListRequest lists users.
type ListRequest struct {
	Limit int `json:"limit,omitempty" jsonschema:"maximum number of users; all when 0"`
}

// ListResponse carries users in creation order.
type ListResponse struct {
	Users []User `json:"users"`
}
