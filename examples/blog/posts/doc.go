// Package posts is the blog's posts service: [Posts] handles Posts.Create
// (scope blog:write; checks the author through the users service),
// Posts.Read (blog:read; adds the author from the users service), Posts.List
// (blog:read) and Posts.Delete (blog:admin); [New] builds the service and
// [Client] calls it. Create and Read declare users.Users.Read with
// tool.Calls, so the gateway's identity lets them reach it.
package posts
