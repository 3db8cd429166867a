package tool_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/tool"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// registered starts a "posts" server with the handler options on a memory
// registry and returns the registered endpoints by name.
func registered(t *testing.T, opts ...server.HandlerOption) map[string]*registry.Endpoint {
	t.Helper()
	reg := registry.NewMemoryRegistry()
	srv, err := microkit.NewServer("posts", microkit.WithRegistry(reg), microkit.WithLogger(microkittest.QuietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Handle(srv.NewHandler(&Posts{}, opts...)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	svcs, err := reg.GetService("posts")
	if err != nil || len(svcs) != 1 {
		t.Fatalf("GetService = %v, %v", svcs, err)
	}
	eps := map[string]*registry.Endpoint{}
	for _, ep := range svcs[0].Endpoints {
		eps[ep.Name] = ep
	}
	return eps
}

func TestEndpointMetadataSurvivesRegistration(t *testing.T) {
	eps := registered(t,
		tool.Endpoint("Posts.Create",
			tool.Description("Publish a blog post."),
			tool.Scopes("blog:write", " blog:admin"),
			tool.InputFor[CreateRequest](),
			tool.Example(CreateRequest{Title: "Hello"}),
		),
		tool.Endpoint("Posts.Read", tool.Description("Read a post."), tool.Scopes("blog:read")),
	)

	md := eps["Posts.Create"].Metadata
	c, err := tool.FromMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	if c.Description != "Publish a blog post." || strings.Join(c.Scopes, " ") != "blog:write blog:admin" {
		t.Fatalf("contract = %+v", c)
	}
	if md["scopes"] != "blog:write,blog:admin" {
		t.Fatalf("scopes stored as %q, want go-micro's comma format", md["scopes"])
	}
	want, _ := tool.SchemaFor[CreateRequest]()
	if string(c.InputSchema) != string(want) {
		t.Fatalf("registered schema differs:\n got %s\nwant %s", c.InputSchema, want)
	}
	var ex CreateRequest
	if err := json.Unmarshal([]byte(c.Example), &ex); err != nil || ex.Title != "Hello" {
		t.Fatalf("example = %q (%v)", c.Example, err)
	}

	read, err := tool.FromMetadata(eps["Posts.Read"].Metadata)
	if err != nil || read.Description != "Read a post." || read.InputSchema != nil {
		t.Fatalf("Posts.Read contract = %+v, %v", read, err)
	}
}

// TestGoMicroOptionsReplaceEachOther documents why Endpoint exists: with
// go-micro's own options the last map given for an endpoint wins.
func TestGoMicroOptionsReplaceEachOther(t *testing.T) {
	eps := registered(t,
		server.WithEndpointScopes("Posts.Create", "blog:write"),
		server.WithEndpointDescription("Posts.Create", "Publish a blog post."),
	)
	if _, ok := eps["Posts.Create"].Metadata["scopes"]; ok {
		t.Fatal("go-micro kept scopes beside a later description; Endpoint's reason to exist is gone")
	}
}

func TestEndpointMapsAreNotShared(t *testing.T) {
	opt := tool.Endpoint("Posts.Create", tool.Scopes("blog:write"))
	a := server.NewRpcHandler(&Posts{}, opt)
	b := server.NewRpcHandler(&Posts{}, opt)
	a.Options().Metadata["Posts.Create"]["scopes"] = "changed"
	if got := b.Options().Metadata["Posts.Create"]["scopes"]; got != "blog:write" {
		t.Fatalf("second handler sees %q", got)
	}
}

func TestEndpointPanicsOnBadOption(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `"Posts.Create"`) {
			t.Fatalf("recover() = %v, want a panic naming the endpoint", r)
		}
	}()
	tool.Endpoint("Posts.Create", tool.InputFor[string]())
}

func TestMetadataReportsErrors(t *testing.T) {
	_, err := tool.Metadata(tool.InputSchema(json.RawMessage(`{"type":"string"}`)), tool.Example(func() {}))
	if !errors.Is(err, tool.ErrInvalidSchema) || !strings.Contains(err.Error(), "example") {
		t.Fatalf("err = %v, want both the schema and the example errors", err)
	}
	md, err := tool.Metadata(tool.Description(""), tool.Scopes(), nil)
	if err != nil || len(md) != 0 {
		t.Fatalf("empty options = %v, %v; want empty map", md, err)
	}
}
