package comments

import "time"

// Service and endpoint names.
const (
	Name           = "comments"
	EndpointCreate = "Comments.Create"
	EndpointList   = "Comments.List"
)

// Domain events, one per successful call.
const (
	EventCreated = "blog.comment.created"
	EventListed  = "blog.comment.listed"
)

// Comment is a comment on a post.
type Comment struct {
	ID        string    `json:"id"`
	PostID    string    `json:"post_id"`
	AuthorID  string    `json:"author_id"`
	Body      string    `json:"body"`
	ReplyTo   string    `json:"reply_to,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateRequest comments on a post.
type CreateRequest struct {
	PostID   string `json:"post_id" jsonschema:"id of an existing post, e.g. post-1"`
	AuthorID string `json:"author_id" jsonschema:"id of the commenting user"`
	Body     string `json:"body" jsonschema:"comment text"`
	ReplyTo  string `json:"reply_to,omitempty" jsonschema:"id of a comment on the same post this one answers"`
}

// CreateResponse carries the new comment.
type CreateResponse struct {
	Comment Comment `json:"comment"`
}

// ListRequest lists the comments on a post.
type ListRequest struct {
	PostID string `json:"post_id" jsonschema:"post id"`
	Limit  int    `json:"limit,omitempty" jsonschema:"maximum number of comments; all when 0"`
}

// ListResponse carries comments in creation order.
type ListResponse struct {
	Comments []Comment `json:"comments"`
}
