package policy

import (
	"context"
	"strings"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
)

// CallWrapper returns a go-micro call wrapper that mints a fresh identity
// from req for every attempt of the call (go-micro runs call wrappers once
// per attempt, retries included) and puts it in the attempt's metadata
// under [IdentityMetadataKey], replacing any identity already there, in
// whatever case. So a retry never presents an identity a guard has already
// consumed. Pass it per call:
//
//	cli.Call(ctx, req, &rsp, client.WithCallWrapper(minter.CallWrapper(ir)))
//
// A minting failure fails the attempt with the wrapped error.
func (m *Minter) CallWrapper(req IdentityRequest) client.CallWrapper {
	return func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, node *registry.Node, r client.Request, rsp interface{}, opts client.CallOptions) error {
			token, err := m.Mint(req)
			if err != nil {
				return err // Mint says what failed
			}
			return next(withIdentity(ctx, token), node, r, rsp, opts)
		}
	}
}

// withIdentity returns ctx whose go-micro metadata carries token under
// exactly one key, IdentityMetadataKey.
func withIdentity(ctx context.Context, token string) context.Context {
	md := metadata.Metadata{}
	if in, ok := metadata.FromContext(ctx); ok {
		for k, v := range in {
			if !strings.EqualFold(k, IdentityMetadataKey) {
				md[k] = v
			}
		}
	}
	md[IdentityMetadataKey] = token
	return metadata.NewContext(ctx, md)
}
