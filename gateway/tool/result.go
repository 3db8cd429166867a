package tool

// MetadataResult is the endpoint metadata key that says how the gateway turns
// the endpoint's response into a tool result. Absent: the response JSON
// becomes structuredContent plus one text block. [ResultMCP]: the response is
// an MCP CallToolResult shape ({"content": [...], "structuredContent": ...,
// "isError": bool}) passed through, for endpoints that return images, audio
// or resources.
const MetadataResult = "result"

// ResultMCP is the [MetadataResult] value for MCP-shaped responses.
const ResultMCP = "mcp"
