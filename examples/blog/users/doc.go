// Package users is the blog's users service: [Users] handles Users.Create
// (scope blog:admin), Users.Read and Users.List (blog:read); [New] builds the
// service and [Client] calls it.
package users
