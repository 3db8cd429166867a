// Package guardtest runs guard wrappers in-process for tests: no server, no
// transport, just the wrapper around a handler that records whether it ran.
package guardtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"

	"github.com/tracegate/tracegate/gateway/guard"
)

// NewKey generates an Ed25519 identity key.
func NewKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// request is a server.Request naming only a service and an endpoint: all
// the wrapper reads.
type request struct {
	server.Request
	service, endpoint string
}

func (r request) Service() string  { return r.service }
func (r request) Endpoint() string { return r.endpoint }

// Call runs one call of endpoint ("Users.Read") of service through w, with
// token under guard.MetadataKey (none when empty). ran reports whether the
// handler ran with a verified identity; err is what the wrapper returned.
func Call(ctx context.Context, w server.HandlerWrapper, service, endpoint, token string) (ran bool, err error) {
	if token != "" {
		ctx = metadata.NewContext(ctx, metadata.Metadata{guard.MetadataKey: token})
	}
	h := w(func(ctx context.Context, _ server.Request, _ interface{}) error {
		_, ran = guard.IdentityFrom(ctx)
		return nil
	})
	err = h(ctx, request{service: service, endpoint: endpoint}, nil)
	return ran, err
}
