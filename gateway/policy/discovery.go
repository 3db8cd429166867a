package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// AuthServerMetadata is what tracegate reads of an authorization server's
// RFC 8414 metadata.
type AuthServerMetadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// DiscoverJWKSURL returns the jwks_uri of issuer ([DiscoverMetadata]).
func DiscoverJWKSURL(ctx context.Context, client *http.Client, issuer string) (string, error) {
	m, err := DiscoverMetadata(ctx, client, issuer)
	if err != nil {
		return "", err
	}
	if m.JWKSURI == "" {
		return "", fmt.Errorf("%w: %s: no jwks_uri", ErrDiscovery, issuer)
	}
	return m.JWKSURI, nil
}

// DiscoverMetadata fetches the metadata of issuer, trying in order (RFC 8414
// §3 and OpenID Connect Discovery 1.0):
//
//	{origin}/.well-known/oauth-authorization-server{path}
//	{origin}/.well-known/openid-configuration{path}   (path insertion)
//	{issuer}/.well-known/openid-configuration          (path appending)
//
// The metadata's issuer must equal issuer (RFC 8414 §3.3). Errors wrap
// ErrDiscovery.
func DiscoverMetadata(ctx context.Context, client *http.Client, issuer string) (AuthServerMetadata, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return AuthServerMetadata{}, fmt.Errorf("%w: issuer %q is not an absolute URL", ErrDiscovery, issuer)
	}
	path := strings.TrimRight(u.Path, "/")
	origin := u.Scheme + "://" + u.Host
	candidates := []string{
		origin + "/.well-known/oauth-authorization-server" + path,
		origin + "/.well-known/openid-configuration" + path,
	}
	if path != "" {
		candidates = append(candidates, origin+path+"/.well-known/openid-configuration")
	}
	var errs []string
	for _, c := range candidates {
		m, err := fetchMetadata(ctx, client, c, issuer)
		if err == nil {
			return m, nil
		}
		errs = append(errs, err.Error())
	}
	return AuthServerMetadata{}, fmt.Errorf("%w: %s", ErrDiscovery, strings.Join(errs, "; "))
}

func fetchMetadata(ctx context.Context, client *http.Client, metadataURL, issuer string) (AuthServerMetadata, error) {
	var meta AuthServerMetadata
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return meta, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return meta, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return meta, fmt.Errorf("%s: HTTP %d", metadataURL, res.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&meta); err != nil {
		return meta, fmt.Errorf("%s: %w", metadataURL, err)
	}
	if strings.TrimRight(meta.Issuer, "/") != strings.TrimRight(issuer, "/") {
		return meta, fmt.Errorf("%s: issuer %q does not match %q", metadataURL, meta.Issuer, issuer)
	}
	return meta, nil
}
