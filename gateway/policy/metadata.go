package policy

import (
	"net/url"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"net/http"
)

// ProtectedResourceMetadata is the RFC 9728 document (the MCP go-sdk's type).
type ProtectedResourceMetadata = oauthex.ProtectedResourceMetadata

// WellKnownProtectedResource is the RFC 9728 well-known path prefix.
const WellKnownProtectedResource = "/.well-known/oauth-protected-resource"

// NewProtectedResourceMetadata describes resource (the gateway's resource
// URI, e.g. "https://gw.example.com/mcp"): its authorization servers
// (issuers), the scopes it knows, and that tokens go in the header only.
func NewProtectedResourceMetadata(resource string, authorizationServers, scopes []string) *ProtectedResourceMetadata {
	return &ProtectedResourceMetadata{
		Resource:               resource,
		AuthorizationServers:   slices.Clone(authorizationServers),
		ScopesSupported:        slices.Clone(scopes),
		BearerMethodsSupported: []string{"header"},
	}
}

// MetadataPaths returns where the metadata for resource is served: the
// path-suffixed variant of RFC 9728 §3.1 (e.g.
// "/.well-known/oauth-protected-resource/mcp") and the bare well-known path.
func MetadataPaths(resource string) []string {
	paths := []string{WellKnownProtectedResource}
	if u, err := url.Parse(resource); err == nil {
		if p := strings.TrimRight(u.Path, "/"); p != "" {
			paths = append([]string{WellKnownProtectedResource + p}, paths...)
		}
	}
	return paths
}

// MetadataURL is the resource_metadata URL to put in challenges: the
// path-suffixed well-known URL on resource's origin.
func MetadataURL(resource string) string {
	u, err := url.Parse(resource)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + MetadataPaths(resource)[0]
}

// MetadataHandler serves m as JSON (GET, with CORS, via the go-sdk). Mount
// it at every path of MetadataPaths.
func MetadataHandler(m *ProtectedResourceMetadata) http.Handler {
	return auth.ProtectedResourceMetadataHandler(m)
}

// MountMetadata registers MetadataHandler(m) on mux at MetadataPaths(m.Resource).
func MountMetadata(mux *http.ServeMux, m *ProtectedResourceMetadata) {
	h := MetadataHandler(m)
	for _, p := range MetadataPaths(m.Resource) {
		mux.Handle(p, h)
	}
}
