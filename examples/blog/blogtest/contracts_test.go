package blogtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/blogtest"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/gateway/tool"
)

func TestEndpointContractsInRegistry(t *testing.T) {
	st := blogtest.Start(t, blogtest.Options{})
	want := map[string]string{
		"Users.Create": "blog:admin", "Users.Read": "blog:read", "Users.List": "blog:read",
		"Posts.Create": "blog:write", "Posts.Read": "blog:read", "Posts.List": "blog:read", "Posts.Delete": "blog:admin",
		"Comments.Create": "blog:write", "Comments.List": "blog:read",
	}
	seen := 0
	for _, name := range []string{"users", "posts", "comments"} {
		svcs, err := st.Registry.GetService(name)
		if err != nil || len(svcs) != 1 {
			t.Fatalf("GetService(%s) = %v, %v", name, svcs, err)
		}
		if addr := svcs[0].Nodes[0].Address; !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("%s advertises %s, want loopback", name, addr)
		}
		for _, ep := range svcs[0].Endpoints {
			seen++
			c, err := tool.FromMetadata(ep.Metadata)
			if err != nil {
				t.Errorf("%s: %v", ep.Name, err)
				continue
			}
			if strings.Join(c.Scopes, ",") != want[ep.Name] || c.Description == "" || c.InputSchema == nil {
				t.Errorf("%s: contract = %+v, want scopes %q, a description and a schema", ep.Name, c, want[ep.Name])
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d endpoints registered, want %d", seen, len(want))
	}
}

func TestPostsCreateSchemaIsComplete(t *testing.T) {
	st := blogtest.Start(t, blogtest.Options{})
	svcs, _ := st.Registry.GetService("posts")
	for _, ep := range svcs[0].Endpoints {
		if ep.Name != "Posts.Create" {
			continue
		}
		var s struct {
			Required   []string `json:"required"`
			Properties map[string]struct {
				Format string `json:"format"`
				Items  struct {
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"items"`
				AdditionalProperties json.RawMessage `json:"additionalProperties"`
			} `json:"properties"`
		}
		if err := json.Unmarshal([]byte(ep.Metadata[tool.MetadataInputSchema]), &s); err != nil {
			t.Fatal(err)
		}
		if strings.Join(s.Required, ",") != "title,body,author_id" {
			t.Errorf("required = %v", s.Required)
		}
		if len(s.Properties["attachments"].Items.Properties) != 4 || s.Properties["publish_at"].Format != "date-time" ||
			string(s.Properties["metadata"].AdditionalProperties) != `{"type":"string"}` {
			t.Errorf("schema lost structure: %s", ep.Metadata[tool.MetadataInputSchema])
		}
		return
	}
	t.Fatal("Posts.Create not registered")
}

func TestStopDeregistersEveryService(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	t.Run("stack", func(t *testing.T) {
		blogtest.Start(t, blogtest.Options{Registry: reg})
		if svcs, _ := reg.ListServices(); len(svcs) != 3 {
			t.Fatalf("%d services registered, want 3", len(svcs))
		}
	})
	for _, name := range []string{"users", "posts", "comments"} {
		if _, err := reg.GetService(name); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("%s still registered after the test: %v", name, err)
		}
	}
}

func TestExtraHandlerWrappersRunInsideTracing(t *testing.T) {
	tc := newTraceCapture(t)
	var mu sync.Mutex
	var traced []bool
	wrapper := func(next server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp interface{}) error {
			mu.Lock()
			traced = append(traced, trace.SpanFromContext(ctx).IsRecording())
			mu.Unlock()
			return next(ctx, req, rsp)
		}
	}
	st := blogtest.Start(t, blogtest.Options{TracerProvider: tc.tp, HandlerWrappers: []server.HandlerWrapper{wrapper}})
	if _, err := st.Users.List(context.Background(), &users.ListRequest{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(traced) != 1 || !traced[0] {
		t.Fatalf("wrapper saw recording spans %v, want [true]", traced)
	}
}
