package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"golang.org/x/time/rate"
)

// keyFamily returns the JWK key type an asymmetric algorithm needs, or false
// for "none", HS* and anything unknown.
func keyFamily(alg string) (jwa.KeyType, bool) {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return jwa.RSA(), true
	case strings.HasPrefix(alg, "ES"):
		return jwa.EC(), true
	case alg == "EdDSA", alg == "Ed25519":
		return jwa.OKP(), true
	default:
		return jwa.KeyType{}, false
	}
}

// parseAlgorithms validates an allowlist: only known asymmetric JWS
// algorithms.
func parseAlgorithms(names []string) (map[string]jwa.KeyType, error) {
	out := make(map[string]jwa.KeyType, len(names))
	for _, n := range names {
		if _, ok := jwa.LookupSignatureAlgorithm(n); !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlg, n)
		}
		kt, ok := keyFamily(n)
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedAlg, n)
		}
		out[n] = kt
	}
	return out, nil
}

// cachedKeys resolves verification keys from a jwk.Cache, refetching (rate
// limited) when a token names a key id the cached set lacks.
type cachedKeys struct {
	cache   *jwk.Cache
	url     string
	algs    map[string]jwa.KeyType
	typ     string // required typ, normalized by mediaType; "" for any
	refetch *rate.Limiter
}

func (k *cachedKeys) provider(ctx context.Context) jws.KeyProvider {
	return jws.KeyProviderFunc(func(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
		h := sig.ProtectedHeaders()
		if err := k.checkHeaders(h); err != nil {
			return err
		}
		alg, ok := h.Algorithm()
		if !ok {
			return ErrAlgorithmNotAllowed
		}
		kt, ok := k.algs[alg.String()]
		if !ok {
			return fmt.Errorf("%w: %q", ErrAlgorithmNotAllowed, alg.String())
		}
		kid, _ := h.KeyID()
		keys, err := k.keys(ctx, kid)
		if err != nil {
			return err
		}
		n := 0
		for _, key := range keys {
			if key.KeyType() != kt {
				continue
			}
			if ka, ok := key.Algorithm(); ok && ka.String() != alg.String() {
				continue
			}
			sink.Key(alg, key)
			n++
		}
		if n == 0 {
			return fmt.Errorf("%w: no %s key for %s (kid %q)", ErrUnknownKey, kt, alg, kid)
		}
		return nil
	})
}

// checkHeaders refuses a "crit" header (RFC 7515 §4.1.11: a recipient
// must refuse critical extensions it does not understand, and the gateway
// understands none) and, when one is required, another typ.
func (k *cachedKeys) checkHeaders(h jws.Headers) error {
	if h.Has(jws.CriticalKey) {
		crit, _ := h.Critical()
		return fmt.Errorf("%w: %q", ErrCriticalHeader, crit)
	}
	if k.typ != "" {
		if typ, _ := h.Type(); mediaType(typ) != k.typ {
			return fmt.Errorf("%w: %q, want %q", ErrTokenType, typ, k.typ)
		}
	}
	return nil
}

// mediaType normalizes a typ value for comparison (RFC 7515 §4.1.9):
// lower case, without an "application/" prefix.
func mediaType(typ string) string {
	return strings.TrimPrefix(strings.ToLower(typ), "application/")
}

// keys returns the key with kid, or every key when the token has no kid.
func (k *cachedKeys) keys(ctx context.Context, kid string) ([]jwk.Key, error) {
	set, err := k.cache.Lookup(ctx, k.url)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknownKey, err)
	}
	if kid == "" {
		out := make([]jwk.Key, 0, set.Len())
		for i := range set.Len() {
			key, _ := set.Key(i)
			out = append(out, key)
		}
		return out, nil
	}
	if key, ok := set.LookupKeyID(kid); ok {
		return []jwk.Key{key}, nil
	}
	if !k.refetch.Allow() {
		return nil, fmt.Errorf("%w: kid %q (refetch rate limited)", ErrUnknownKey, kid)
	}
	if set, err = k.cache.Refresh(ctx, k.url); err != nil {
		return nil, fmt.Errorf("%w: kid %q: refetch: %w", ErrUnknownKey, kid, err)
	}
	if key, ok := set.LookupKeyID(kid); ok {
		return []jwk.Key{key}, nil
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}
