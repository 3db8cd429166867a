package authserver

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Paths served by [Server.Handler].
const (
	MetadataPath            = "/.well-known/oauth-authorization-server"
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	JWKSPath                = "/jwks.json"
	TokenPath               = "/token"
	HealthPath              = "/healthz"
)

// Supported grant types and client authentication methods.
const (
	GrantClientCredentials = "client_credentials"
	AuthClientSecretBasic  = "client_secret_basic"
	AuthClientSecretPost   = "client_secret_post"
)

// Metadata is the RFC 8414 authorization server metadata document.
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	// ResponseTypesSupported is empty: there is no authorization endpoint.
	ResponseTypesSupported []string `json:"response_types_supported"`
}

// Server is a dev-only OAuth 2.1 authorization server. Safe for concurrent
// use; it holds no mutable state.
type Server struct {
	cfg      Config
	clients  map[string]registeredClient
	signer   *signer
	meta     Metadata
	metaJSON []byte
	log      *slog.Logger
	now      func() time.Time
}

// registeredClient is a client with its secret digest, so comparisons take
// the same time whatever the secret's length.
type registeredClient struct {
	Client
	digest [sha256.Size]byte
	allow  map[string]bool
}

// New validates cfg and builds a server, generating an Ed25519 signing key
// unless cfg.SigningKey is set.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = DefaultTokenLifetime
	}
	sg, err := newSigner(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		clients: make(map[string]registeredClient, len(cfg.Clients)),
		signer:  sg,
		log:     cfg.Logger,
		now:     time.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var scopes []string
	for _, c := range cfg.Clients {
		rc := registeredClient{Client: c, digest: sha256.Sum256([]byte(c.Secret)), allow: map[string]bool{}}
		for _, sc := range c.Scopes {
			rc.allow[sc] = true
		}
		s.clients[c.ID] = rc
		scopes = append(scopes, c.Scopes...)
	}
	slices.Sort(scopes)
	base := strings.TrimSuffix(cfg.Issuer, "/")
	s.meta = Metadata{
		Issuer:                            cfg.Issuer,
		TokenEndpoint:                     base + TokenPath,
		JWKSURI:                           base + JWKSPath,
		GrantTypesSupported:               []string{GrantClientCredentials},
		TokenEndpointAuthMethodsSupported: []string{AuthClientSecretBasic, AuthClientSecretPost},
		ScopesSupported:                   slices.Compact(scopes),
		ResponseTypesSupported:            []string{},
	}
	if s.metaJSON, err = json.Marshal(s.meta); err != nil {
		return nil, fmt.Errorf("authserver: metadata: %w", err)
	}
	return s, nil
}

// Issuer is the configured issuer (the iss of every token).
func (s *Server) Issuer() string { return s.cfg.Issuer }

// Audience is the aud of every token.
func (s *Server) Audience() string { return s.cfg.Audience }

// KeyID is the kid of the signing key.
func (s *Server) KeyID() string { return s.signer.kid }

// Metadata returns the RFC 8414 document served at [MetadataPath].
func (s *Server) Metadata() Metadata {
	m := s.meta
	m.ScopesSupported = slices.Clone(m.ScopesSupported)
	return m
}

// Handler serves the metadata (at both well-known paths), the JWKS, the
// token endpoint and the health probe.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+MetadataPath, s.serveMetadata)
	mux.HandleFunc("GET "+OpenIDConfigurationPath, s.serveMetadata)
	mux.HandleFunc("GET "+JWKSPath, s.serveJWKS)
	mux.HandleFunc(TokenPath, s.serveToken)
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

func (s *Server) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(s.metaJSON)
}

func (s *Server) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(s.signer.jwks)
}
