package guard

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"sync"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"golang.org/x/time/rate"
)

// keySource resolves the verification key of an identity. Only EdDSA with
// the identity "typ" and no "crit" is accepted, whatever the key: the
// gateway never marks an extension critical, and a recipient must refuse
// critical extensions it does not understand (RFC 7515 §4.1.11).
type keySource struct {
	static ed25519.PublicKey

	url     string
	client  *http.Client
	refetch *rate.Limiter
	mu      sync.Mutex
	set     jwk.Set
}

func newKeySource(c *config) (*keySource, error) {
	switch {
	case c.publicKey != nil:
		return &keySource{static: c.publicKey}, nil
	case c.jwksURL != "":
		return &keySource{
			url:     c.jwksURL,
			client:  c.httpClient,
			refetch: rate.NewLimiter(rate.Every(c.refetchEvery), 1),
		}, nil
	default:
		return nil, ErrNoKey
	}
}

// provider returns a jws.KeyProvider bound to the request context.
func (k *keySource) provider(ctx context.Context) jws.KeyProvider {
	return jws.KeyProviderFunc(func(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
		h := sig.ProtectedHeaders()
		alg, _ := h.Algorithm()
		if alg != jwa.EdDSA() && alg != jwa.EdDSAEd25519() {
			return fmt.Errorf("%w: algorithm %q", ErrInvalidIdentity, alg.String())
		}
		if typ, _ := h.Type(); typ != TokenType {
			return fmt.Errorf("%w: typ %q", ErrInvalidIdentity, typ)
		}
		if h.Has(jws.CriticalKey) {
			return fmt.Errorf("%w: critical header extension", ErrInvalidIdentity)
		}
		if k.static != nil {
			sink.Key(alg, k.static)
			return nil
		}
		kid, _ := h.KeyID()
		key, err := k.lookup(ctx, kid)
		if err != nil {
			return err
		}
		sink.Key(alg, key)
		return nil
	})
}

func (k *keySource) lookup(ctx context.Context, kid string) (jwk.Key, error) {
	k.mu.Lock()
	set := k.set
	k.mu.Unlock()
	if set != nil {
		if key, ok := set.LookupKeyID(kid); ok {
			return key, nil
		}
	}
	if set != nil && !k.refetch.Allow() {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	fetched, err := jwk.Fetch(ctx, k.url, jwk.WithHTTPClient(k.client))
	if err != nil {
		return nil, fmt.Errorf("%w: fetch %s: %w", ErrUnknownKey, k.url, err)
	}
	k.mu.Lock()
	k.set = fetched
	k.mu.Unlock()
	if key, ok := fetched.LookupKeyID(kid); ok {
		return key, nil
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}
