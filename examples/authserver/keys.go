package authserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// minRSABits is the smallest RSA key accepted.
const minRSABits = 2048

// signer is the signing key with its algorithm, kid and published JWKS.
type signer struct {
	key  crypto.Signer
	alg  jwa.SignatureAlgorithm
	kid  string
	hdrs jws.Headers
	jwks []byte
}

// newSigner wraps key (nil generates Ed25519).
func newSigner(key crypto.Signer) (*signer, error) {
	if key == nil {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("%w: generate: %w", ErrInvalidKey, err)
		}
		key = priv
	}
	alg, err := algorithmFor(key)
	if err != nil {
		return nil, err
	}
	pub, err := jwk.Import(key.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if err := jwk.AssignKeyID(pub); err != nil {
		return nil, fmt.Errorf("%w: key id: %w", ErrInvalidKey, err)
	}
	kid, _ := pub.KeyID()
	for k, v := range map[string]any{jwk.AlgorithmKey: alg, jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(k, v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	hdrs := jws.NewHeaders()
	for k, v := range map[string]any{jws.KeyIDKey: kid, jws.TypeKey: "at+jwt"} {
		if err := hdrs.Set(k, v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
	}
	return &signer{key: key, alg: alg, kid: kid, hdrs: hdrs, jwks: jwks}, nil
}

// algorithmFor picks the JWS algorithm for a private key.
func algorithmFor(key crypto.Signer) (jwa.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return jwa.SignatureAlgorithm{}, fmt.Errorf("%w: ed25519 key has %d bytes", ErrInvalidKey, len(k))
		}
		return jwa.EdDSA(), nil
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return jwa.SignatureAlgorithm{}, fmt.Errorf("%w: RSA key has %d bits (want %d or more)", ErrInvalidKey, k.N.BitLen(), minRSABits)
		}
		return jwa.RS256(), nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return jwa.SignatureAlgorithm{}, fmt.Errorf("%w: ECDSA curve %s (want P-256)", ErrInvalidKey, k.Curve.Params().Name)
		}
		return jwa.ES256(), nil
	default:
		return jwa.SignatureAlgorithm{}, fmt.Errorf("%w: %T (want Ed25519, RSA or P-256)", ErrInvalidKey, key)
	}
}

// LoadSigningKey reads a PEM private key: PKCS #8 (Ed25519, RSA or ECDSA
// P-256), PKCS #1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"). For
// example: openssl genpkey -algorithm ed25519 -out key.pem.
func LoadSigningKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s holds no PEM block", ErrInvalidKey, path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: %s: PEM type %q is not a private key", ErrInvalidKey, path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidKey, path, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %T cannot sign", ErrInvalidKey, path, key)
	}
	if _, err := algorithmFor(s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
