// Package comments is the blog's comments service: [Comments] handles
// Comments.Create (scope blog:write; checks the post through the posts
// service, which reads its author from the users service) and Comments.List
// (blog:read); [New] builds the service and [Client] calls it. Create
// declares posts.Posts.Read with tool.Calls (and the gateway adds what
// Posts.Read declares, users.Users.Read).
package comments
