// Package blogtest starts the three blog services in-process for tests, on
// one registry (a fresh memory registry by default), and stops them when the
// test ends:
//
//	stack := blogtest.Start(t, blogtest.Options{TracerProvider: tp})
//	u, err := stack.Users.Create(ctx, &users.CreateRequest{Name: "Ada", Email: "ada@example.com"})
//
// [Start] returns a [Stack] with typed clients and the registry, so a gateway
// under test can discover the services through [Stack.Registry].
package blogtest
