package authserver

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Paths served by [Server.Handler].
const (
	MetadataPath            = "/.well-known/oauth-authorization-server"
	OpenIDConfigurationPath = "/.well-known/openid-configuration"
	JWKSPath                = "/jwks.json"
	AuthorizePath           = "/authorize"
	ConsentPath             = "/authorize/consent"
	TokenPath               = "/token"
	RegisterPath            = "/register"
	HealthPath              = "/healthz"
)

// Grant types and client authentication methods of confidential clients.
const (
	GrantClientCredentials = "client_credentials"
	AuthClientSecretBasic  = "client_secret_basic"
	AuthClientSecretPost   = "client_secret_post"
)

// Server is a dev-only OAuth 2.1 authorization server. Safe for concurrent
// use. Its state lives in memory, bounded, and is lost when it stops:
// pending consents, authorization codes, dynamically registered clients
// and cached client metadata documents.
type Server struct {
	cfg        Config
	clients    map[string]registeredClient
	userScopes []string
	signer     *signer
	meta       Metadata
	metaJSON   []byte
	log        *slog.Logger
	now        func() time.Time
	fetch      *http.Client // client metadata documents

	pending    *ttlStore[pendingConsent]
	codes      *ttlStore[authzRequest]
	registered *ttlStore[publicClient]
	documents  *ttlStore[publicClient]
}

// registeredClient is a confidential client with its secret digest, so
// comparisons take the same time whatever the secret's length.
type registeredClient struct {
	Client
	digest [sha256.Size]byte
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
	if cfg.User == "" {
		cfg.User = DefaultUser
	}
	if cfg.UserScopes == nil {
		cfg.UserScopes = DemoUserScopes()
	}
	sg, err := newSigner(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:        cfg,
		clients:    make(map[string]registeredClient, len(cfg.Clients)),
		userScopes: cfg.UserScopes,
		signer:     sg,
		log:        cfg.Logger,
		now:        time.Now,
		fetch:      newFetchClient(cfg.HTTPClient),
	}
	now := func() time.Time { return s.now() }
	s.pending = newTTLStore[pendingConsent](maxPending, now)
	s.codes = newTTLStore[authzRequest](maxCodes, now)
	s.registered = newTTLStore[publicClient](maxRegisteredClients, now)
	s.documents = newTTLStore[publicClient](maxDocuments, now)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	scopes := slices.Clone(s.userScopes)
	for _, sc := range cfg.Resources {
		scopes = append(scopes, sc...)
	}
	for _, c := range cfg.Clients {
		rc := registeredClient{Client: c, digest: sha256.Sum256([]byte(c.Secret))}
		s.clients[c.ID] = rc
		scopes = append(scopes, c.Scopes...)
	}
	s.meta = newMetadata(cfg.Issuer, scopes)
	if s.metaJSON, err = json.Marshal(s.meta); err != nil {
		return nil, fmt.Errorf("authserver: metadata: %w", err)
	}
	return s, nil
}

// resourceScopes returns the aud of a token for the requested resource
// ("" is Audience) and the only scopes it may carry (nil: those of the
// grant); ok is false for a resource this issuer does not serve.
func (s *Server) resourceScopes(res string) (aud string, only []string, ok bool) {
	if res == "" || res == s.cfg.Audience {
		return s.cfg.Audience, nil, true
	}
	only, ok = s.cfg.Resources[res]
	return res, only, ok
}

// Issuer is the configured issuer (the iss of every token).
func (s *Server) Issuer() string { return s.cfg.Issuer }

// Audience is the aud of every token.
func (s *Server) Audience() string { return s.cfg.Audience }

// KeyID is the kid of the signing key.
func (s *Server) KeyID() string { return s.signer.kid }

// Metadata returns the RFC 8414 document served at [MetadataPath].
func (s *Server) Metadata() Metadata { return s.meta.clone() }

// Handler serves the metadata (at both well-known paths), the JWKS, the
// authorization endpoint and its consent form, the token endpoint, dynamic
// client registration and the health probe.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+MetadataPath, s.serveMetadata)
	mux.HandleFunc("GET "+OpenIDConfigurationPath, s.serveMetadata)
	mux.HandleFunc("GET "+JWKSPath, s.serveJWKS)
	mux.HandleFunc("GET "+AuthorizePath, s.serveAuthorize)
	mux.HandleFunc("POST "+ConsentPath, s.serveConsent)
	mux.HandleFunc(TokenPath, s.serveToken)
	mux.HandleFunc("POST "+RegisterPath, s.serveRegister)
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
