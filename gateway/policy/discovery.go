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

// DiscoverJWKSURL returns the jwks_uri of issuer, trying in order (RFC 8414
// §3 and OpenID Connect Discovery 1.0):
//
//	{origin}/.well-known/oauth-authorization-server{path}
//	{origin}/.well-known/openid-configuration{path}   (path insertion)
//	{issuer}/.well-known/openid-configuration          (path appending)
//
// The metadata's issuer must equal issuer (RFC 8414 §3.3).
func DiscoverJWKSURL(ctx context.Context, client *http.Client, issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("%w: issuer %q is not an absolute URL", ErrDiscovery, issuer)
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
		jwks, err := fetchJWKSURI(ctx, client, c, issuer)
		if err == nil {
			return jwks, nil
		}
		errs = append(errs, err.Error())
	}
	return "", fmt.Errorf("%w: %s", ErrDiscovery, strings.Join(errs, "; "))
}

func fetchJWKSURI(ctx context.Context, client *http.Client, metadataURL, issuer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: HTTP %d", metadataURL, res.StatusCode)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&meta); err != nil {
		return "", fmt.Errorf("%s: %w", metadataURL, err)
	}
	if strings.TrimRight(meta.Issuer, "/") != strings.TrimRight(issuer, "/") {
		return "", fmt.Errorf("%s: issuer %q does not match %q", metadataURL, meta.Issuer, issuer)
	}
	if meta.JWKSURI == "" {
		return "", fmt.Errorf("%s: no jwks_uri", metadataURL)
	}
	return meta.JWKSURI, nil
}
