package svc

import "go.opentelemetry.io/otel/attribute"

// Scopes required by the blog endpoints.
const (
	ScopeRead  = "blog:read"
	ScopeWrite = "blog:write"
	ScopeAdmin = "blog:admin"
)

// Attribute keys of the domain events: Jaeger's tag search matches event
// attributes, so each event carries the ids it is about.
const (
	UserIDKey    = attribute.Key("blog.user.id")
	PostIDKey    = attribute.Key("blog.post.id")
	CommentIDKey = attribute.Key("blog.comment.id")
	AuthorIDKey  = attribute.Key("blog.author.id")
	CountKey     = attribute.Key("blog.result.count")
)
