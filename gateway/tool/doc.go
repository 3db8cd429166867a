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
//		),
//	))
//
// The keys are [MetadataDescription], [MetadataScopes] (comma-separated, as
// go-micro's gateway reads them), [MetadataInputSchema] and [MetadataExample].
//
// Reading side (the gateway): [FromMetadata] turns a registry endpoint's
// metadata into a [Contract], checking the schema; [ParseScopes] splits a
// scopes value.
package tool
