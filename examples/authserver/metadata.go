package authserver

import (
	"slices"
	"strings"
)

// Metadata is the RFC 8414 authorization server metadata document, with
// the members MCP clients read (MCP 2025-11-25 authorization: PKCE S256,
// Client ID Metadata Documents, dynamic registration).
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// newMetadata builds the document for issuer; scopes are every scope a
// client or the user may be granted.
func newMetadata(issuer string, scopes []string) Metadata {
	base := strings.TrimSuffix(issuer, "/")
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	return Metadata{
		Issuer:                                     issuer,
		AuthorizationEndpoint:                      base + AuthorizePath,
		TokenEndpoint:                              base + TokenPath,
		RegistrationEndpoint:                       base + RegisterPath,
		JWKSURI:                                    base + JWKSPath,
		ResponseTypesSupported:                     []string{ResponseTypeCode},
		ResponseModesSupported:                     []string{"query"},
		GrantTypesSupported:                        []string{GrantAuthorizationCode, GrantClientCredentials},
		TokenEndpointAuthMethodsSupported:          []string{AuthClientSecretBasic, AuthClientSecretPost, AuthNone},
		CodeChallengeMethodsSupported:              []string{PKCEMethodS256},
		ScopesSupported:                            slices.Compact(scopes),
		ClientIDMetadataDocumentSupported:          true,
		AuthorizationResponseIssParameterSupported: true,
	}
}

// clone deep-copies the lists.
func (m Metadata) clone() Metadata {
	for _, p := range []*[]string{&m.ResponseTypesSupported, &m.ResponseModesSupported, &m.GrantTypesSupported,
		&m.TokenEndpointAuthMethodsSupported, &m.CodeChallengeMethodsSupported, &m.ScopesSupported} {
		*p = slices.Clone(*p)
	}
	return m
}
