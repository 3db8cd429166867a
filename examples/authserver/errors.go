package authserver

import (
	"encoding/json"
	"net/http"
)

// OAuth error codes (RFC 6749 §4.1.2.1 and §5.2, RFC 8707 §2, RFC 7591 §3.2.2).
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeAccessDenied            = "access_denied"
	CodeInvalidScope            = "invalid_scope"
	CodeInvalidTarget           = "invalid_target"
	CodeServerError             = "server_error"
	CodeInvalidRedirectURI      = "invalid_redirect_uri"
	CodeInvalidClientMetadata   = "invalid_client_metadata"
)

// oauthError is a token endpoint error response.
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: CodeInvalidRequest, Description: desc}
}

// invalidClient is 401: the response carries a Basic challenge.
func invalidClient(desc string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, Code: CodeInvalidClient, Description: desc}
}

func invalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: CodeInvalidGrant, Description: desc}
}

func unsupportedGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: CodeUnsupportedGrantType, Description: desc}
}

func invalidScope(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: CodeInvalidScope, Description: desc}
}

func invalidTarget(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: CodeInvalidTarget, Description: desc}
}

func serverError(desc string) *oauthError {
	return &oauthError{status: http.StatusInternalServerError, Code: CodeServerError, Description: desc}
}

// writeError writes e as RFC 6749 §5.2 JSON.
func writeError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="authserver", charset="UTF-8"`)
	}
	writeJSON(w, e.status, e)
}

// writeJSON writes a token endpoint response: JSON, never cached
// (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
