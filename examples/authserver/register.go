package authserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Dynamic registration limits: registered clients live in memory, at most
// maxRegisteredClients of them (the oldest go first), each for
// registeredClientTTL or until the server stops.
const (
	maxRegisteredClients = 1000
	registeredClientTTL  = 7 * 24 * time.Hour
)

// registrationResponse is the RFC 7591 §3.2.1 answer.
type registrationResponse struct {
	ClientID                string   `json:"client_id"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientName              string   `json:"client_name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	Scope                   string   `json:"scope,omitempty"`
}

// serveRegister is the RFC 7591 dynamic client registration endpoint, open
// to anyone (a dev server): it registers a public client (no secret; token
// endpoint authentication none) for the authorization code flow. A request
// for client_secret_basic or client_secret_post gets none instead, which
// RFC 7591 §3.2.1 allows the server to substitute.
func (s *Server) serveRegister(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, &oauthError{status: http.StatusBadRequest, Code: CodeInvalidClientMetadata, Description: "content type must be application/json"})
		return
	}
	var m clientMetadata
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err := dec.Decode(&m); err != nil || dec.More() {
		writeError(w, &oauthError{status: http.StatusBadRequest, Code: CodeInvalidClientMetadata, Description: "the body must be one JSON object"})
		return
	}
	if a := m.TokenEndpointAuthMethod; a == AuthClientSecretBasic || a == AuthClientSecretPost {
		m.TokenEndpointAuthMethod = AuthNone
	}
	id, err := randomID("dcr-")
	if err != nil {
		writeError(w, serverError("could not make a client id"))
		return
	}
	c, err := m.check(id, false)
	if err != nil {
		code := CodeInvalidClientMetadata
		if errors.Is(err, errRedirectURI) {
			code = CodeInvalidRedirectURI
		}
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "registration refused", slog.String("error", err.Error()))
		writeError(w, &oauthError{status: http.StatusBadRequest, Code: code, Description: err.Error()})
		return
	}
	s.registered.put(c.id, c, registeredClientTTL)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "client registered",
		slog.String("client_id", c.id), slog.String("client_name", c.name), slog.String("redirect_uris", strings.Join(c.redirectURIs, " ")))
	writeJSON(w, http.StatusCreated, registrationResponse{
		ClientID:                c.id,
		ClientIDIssuedAt:        s.now().Unix(),
		ClientName:              m.ClientName,
		RedirectURIs:            c.redirectURIs,
		GrantTypes:              []string{GrantAuthorizationCode},
		ResponseTypes:           []string{ResponseTypeCode},
		TokenEndpointAuthMethod: AuthNone,
		Scope:                   m.Scope,
	})
}

// randomID is prefix plus 128 random bits, base64url.
func randomID(prefix string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}
