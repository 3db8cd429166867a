package posts

import (
	"time"

	"github.com/tracegate/tracegate/examples/blog/users"
)

// Service and endpoint names.
const (
	Name           = "posts"
	EndpointCreate = "Posts.Create"
	EndpointRead   = "Posts.Read"
	EndpointList   = "Posts.List"
	EndpointDelete = "Posts.Delete"
)

// Domain events, one per successful call.
const (
	EventCreated = "blog.post.created"
	EventRead    = "blog.post.read"
	EventListed  = "blog.post.listed"
	EventDeleted = "blog.post.deleted"
)

// Attachment is a file linked from a post.
type Attachment struct {
	Name        string `json:"name" jsonschema:"file name"`
	URL         string `json:"url" jsonschema:"where the file is"`
	Size        int64  `json:"size,omitempty" jsonschema:"size in bytes"`
	ContentType string `json:"content_type,omitempty" jsonschema:"media type, e.g. image/png"`
}

// Post is a blog post.
type Post struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	AuthorID    string            `json:"author_id"`
	Tags        []string          `json:"tags,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
	PublishAt   *time.Time        `json:"publish_at,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
}

// CreateRequest creates a post.
type CreateRequest struct {
	Title       string            `json:"title" jsonschema:"post title"`
	Body        string            `json:"body" jsonschema:"post body, markdown"`
	AuthorID    string            `json:"author_id" jsonschema:"id of an existing user, e.g. user-1"`
	Tags        []string          `json:"tags,omitempty" jsonschema:"tags, e.g. go"`
	Metadata    map[string]string `json:"metadata,omitempty" jsonschema:"free-form string metadata"`
	Attachments []Attachment      `json:"attachments,omitempty" jsonschema:"files linked from the post"`
	PublishAt   *time.Time        `json:"publish_at,omitempty" jsonschema:"RFC 3339 publication time; now when absent"`
}

// CreateResponse carries the new post.
type CreateResponse struct {
	Post Post `json:"post"`
}

// ReadRequest names a post.
type ReadRequest struct {
	ID string `json:"id" jsonschema:"post id, e.g. post-1"`
}

// ReadResponse carries the post and its author.
type ReadResponse struct {
	Post   Post       `json:"post"`
	Author users.User `json:"author"`
}

// ListRequest lists posts, optionally filtered.
type ListRequest struct {
	AuthorID string `json:"author_id,omitempty" jsonschema:"only posts by this user"`
	Tag      string `json:"tag,omitempty" jsonschema:"only posts with this tag"`
	Limit    int    `json:"limit,omitempty" jsonschema:"maximum number of posts; all when 0"`
}

// ListResponse carries posts in creation order.
type ListResponse struct {
	Posts []Post `json:"posts"`
}

// DeleteRequest names the post to delete.
type DeleteRequest struct {
	ID string `json:"id" jsonschema:"post id"`
}

// DeleteResponse confirms the deletion.
type DeleteResponse struct {
	ID string `json:"id"`
}
