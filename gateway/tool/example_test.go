package tool_test

import (
	"context"
	"fmt"

	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/tool"
)

type GreetRequest struct {
	Name     string   `json:"name"`
	Language string   `json:"language,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

type GreetResponse struct {
	Message string `json:"message"`
}

type Greeter struct{}

func (*Greeter) Hello(_ context.Context, req *GreetRequest, rsp *GreetResponse) error {
	rsp.Message = "Hello " + req.Name
	return nil
}

// A service declares the contract next to its handler; the gateway reads it
// back from the registry's endpoint metadata.
func ExampleEndpoint() {
	h := server.NewRpcHandler(&Greeter{},
		tool.Endpoint("Greeter.Hello",
			tool.Description("Greet someone by name."),
			tool.Scopes("greet:read", "greet:admin"),
			tool.InputFor[GreetRequest](),
		),
	)

	ep := h.Endpoints()[0]
	c, err := tool.FromMetadata(ep.Metadata)
	if err != nil {
		panic(err)
	}
	fmt.Println(ep.Name)
	fmt.Println(c.Description)
	fmt.Println(c.Scopes)
	fmt.Println(string(c.InputSchema))
	// Output:
	// Greeter.Hello
	// Greet someone by name.
	// [greet:read greet:admin]
	// {"type":"object","properties":{"name":{"type":"string"},"language":{"type":"string"},"tags":{"type":["null","array"],"items":{"type":"string"}}},"required":["name"],"additionalProperties":false}
}
