package blogtest

import (
	"testing"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/logger"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracegate/tracegate/examples/blog/comments"
	"github.com/tracegate/tracegate/examples/blog/posts"
	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/examples/blog/users"
	"github.com/tracegate/tracegate/internal/microkit"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// Options configure the stack; the zero value is a working untraced stack on
// a fresh memory registry.
type Options struct {
	// Registry shared by the services; default a new memory registry.
	Registry registry.Registry
	// TracerProvider traces every server and client; nil records nothing.
	TracerProvider trace.TracerProvider
	// LoggerProvider receives the domain events; nil drops them.
	LoggerProvider log.LoggerProvider
	// HandlerWrappers are added to every service, inside the tracing wrapper.
	HandlerWrappers []server.HandlerWrapper
	// WrappersFor, when set, adds service's own wrappers after
	// HandlerWrappers (a gateway/guard is per service: it knows the name of
	// the service it protects).
	WrappersFor func(service string) []server.HandlerWrapper
	// Logger is go-micro's logger; default errors only.
	Logger logger.Logger
}

// Stack is the running blog.
type Stack struct {
	// Registry the services are registered in.
	Registry registry.Registry
	// Services in start order: users, posts, comments.
	Services []*svc.Service
	// Client is an untraced client on Registry, for calls from the test.
	Client client.Client
	// Typed clients using Client.
	Users    *users.Client
	Posts    *posts.Client
	Comments *comments.Client
}

// Start starts users, posts and comments and stops them (deregistering each)
// in reverse order when the test ends. It fails the test on any error.
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	if o.Registry == nil {
		o.Registry = registry.NewMemoryRegistry()
	}
	if o.Logger == nil {
		o.Logger = microkittest.QuietLogger()
	}
	st := &Stack{Registry: o.Registry}
	for _, b := range []struct {
		name   string
		newSvc func(svc.Options) (*svc.Service, error)
	}{{users.Name, users.New}, {posts.Name, posts.New}, {comments.Name, comments.New}} {
		so := svc.Options{
			Registry:        o.Registry,
			TracerProvider:  o.TracerProvider,
			LoggerProvider:  o.LoggerProvider,
			HandlerWrappers: o.HandlerWrappers,
			Logger:          o.Logger,
		}
		if o.WrappersFor != nil {
			so.HandlerWrappers = append(append([]server.HandlerWrapper{}, o.HandlerWrappers...), o.WrappersFor(b.name)...)
		}
		s, err := b.newSvc(so)
		if err != nil {
			t.Fatalf("blogtest: %v", err)
		}
		if err := s.Start(); err != nil {
			_ = s.Stop()
			t.Fatalf("blogtest: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Stop(); err != nil {
				t.Errorf("blogtest: %v", err)
			}
		})
		st.Services = append(st.Services, s)
	}
	cli, err := microkit.NewClient(microkit.WithRegistry(o.Registry), microkit.WithLogger(o.Logger))
	if err != nil {
		t.Fatalf("blogtest: %v", err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	st.Client = cli
	st.Users, st.Posts, st.Comments = users.NewClient(cli), posts.NewClient(cli), comments.NewClient(cli)
	return st
}
