package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/gateway"
)

// A request that two JSON readers would read differently ("method" and
// "Method") is refused by the one strict parse, answered with a JSON-RPC
// error, and the gateway keeps serving the next line.
func Example() {
	gw, err := gateway.New(gateway.Options{
		Registry: registry.NewMemoryRegistry(),
		Logger:   log.New(io.Discard, "", 0),
		Config:   gateway.Config{Auth: gateway.AuthConfig{Anonymous: true}}, // development only
	})
	if err != nil {
		panic(err)
	}
	defer gw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := gw.Start(ctx); err != nil {
		panic(err)
	}
	toServer, in := io.Pipe()
	answers, out := io.Pipe()
	go func() { _ = gw.ServeStdio(ctx, toServer, out) }()
	lines := bufio.NewScanner(answers)
	for _, req := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","Method":"ping","params":{"name":"users.Users.Delete"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"example","version":"1"}}}`,
	} {
		fmt.Fprintln(in, req)
		lines.Scan()
		fmt.Println(lines.Text()[:60])
	}
	_ = in.Close()
	// Output:
	// {"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"me
	// {"jsonrpc":"2.0","id":2,"result":{"capabilities":{"prompts":
}
