// Package tool lets a go-micro service author declare, next to the handler,
// the contract under which an endpoint is exposed as an MCP tool: a
// description, the scopes a caller needs, a JSON Schema of the request and an
// example. It is light on purpose: it imports go-micro's server package and
// github.com/google/jsonschema-go, never the gateway.
//
// Writing side: [Endpoint] returns one server.HandlerOption that sets the
// endpoint's whole metadata map in a single server.EndpointMetadata call.
// go-micro's own server.WithEndpointScopes and server.WithEndpointDescription
// each replace that whole map, so combining them keeps only the last one; and
// the request type tree go-micro registers (registry.Value) drops optional
// fields, map types, the fields of slice elements and anything nested more than
// a few levels deep. [InputFor] generates the full schema from the request type
// instead.
//
//	srv.Handle(srv.NewHandler(&Posts{},
//		tool.Endpoint("Posts.Create",
//			tool.Description("Publish a blog post."),
//			tool.Scopes("blog:write"),
//			tool.InputFor[CreateRequest](),
//			tool.Calls("users.Users.Read"),
//		),
//	))
//
// The keys are [MetadataDescription], [MetadataScopes] (comma-separated, as
// go-micro's gateway reads them), [MetadataInputSchema], [MetadataExample]
// and [MetadataCalls].
//
// [Calls] is part of the security contract, not documentation: the gateway
// signs the declared downstream endpoints (and, transitively, theirs) into
// the identity it mints for a call, and a guarded downstream service
// (gateway/guard) refuses that identity for any endpoint not on the list. A
// handler that calls an endpoint it did not declare is refused there.
//
// Reading side (the gateway): [FromMetadata] turns a registry endpoint's
// metadata into a [Contract], checking the schema; [ParseScopes] splits a
// scopes value and [ParseCalls] a calls value.
package tool
