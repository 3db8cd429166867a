// Package blog is a small blog made of three go-micro services, modelled on
// the micro/blog example and laid out like Jaeger's HotROD: each service has a
// types file, a handler, a typed client and a constructor.
//
//   - users ([github.com/tracegate/tracegate/examples/blog/users]):
//     Users.Create, Users.Read, Users.List.
//   - posts ([github.com/tracegate/tracegate/examples/blog/posts]):
//     Posts.Create and Posts.Read call Users.Read; Posts.List, Posts.Delete.
//   - comments ([github.com/tracegate/tracegate/examples/blog/comments]):
//     Comments.Create calls Posts.Read; Comments.List.
//
// Every endpoint declares its MCP tool contract (description, scopes, input
// schema) with [github.com/tracegate/tracegate/gateway/tool], every server and
// client is traced with [github.com/tracegate/tracegate/telemetry], and every
// successful call emits one domain event (blog.post.created, …) whose
// attributes (blog.user.id, blog.post.id, blog.comment.id, blog.author.id) are
// searchable in Jaeger.
//
// [github.com/tracegate/tracegate/examples/blog/blogtest] starts all three in
// a test; the binaries live under cmd/.
package blog
