package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// metadataPath is the RFC 8414 well-known suffix.
const metadataPath = "/.well-known/oauth-authorization-server"

// maxMetadataBytes bounds the metadata document.
const maxMetadataBytes = 1 << 20

// serverMetadata is the part of RFC 8414 metadata the agent uses.
type serverMetadata struct {
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
}

// metadataURL is where RFC 8414 §3 puts the metadata of issuer: the
// well-known suffix goes between the host and the issuer's path.
func metadataURL(issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: issuer %q is not a URL", ErrDiscovery, issuer)
	}
	u.Path = metadataPath + strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// discoverTokenEndpoint reads the issuer's RFC 8414 metadata and returns
// its token endpoint. The metadata's issuer must equal issuer.
func discoverTokenEndpoint(ctx context.Context, hc *http.Client, issuer string) (string, error) {
	mdURL, err := metadataURL(issuer)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mdURL, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDiscovery, err)
	}
	req.Header.Set("Accept", "application/json")
	rsp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrDiscovery, err)
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(rsp.Body, maxMetadataBytes))
	if err != nil {
		return "", fmt.Errorf("%w: read %s: %v", ErrDiscovery, mdURL, err)
	}
	if rsp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: GET %s: %s", ErrDiscovery, mdURL, rsp.Status)
	}
	var md serverMetadata
	if err := json.Unmarshal(body, &md); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrDiscovery, mdURL, err)
	}
	if strings.TrimSuffix(md.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return "", fmt.Errorf("%w: %s names issuer %q, want %q", ErrDiscovery, mdURL, md.Issuer, issuer)
	}
	if err := checkURL(md.TokenEndpoint); err != nil {
		return "", fmt.Errorf("%w: token_endpoint: %v", ErrDiscovery, err)
	}
	return md.TokenEndpoint, nil
}

// tokenRequest is one client-credentials request.
type tokenRequest struct {
	clientID, clientSecret string
	scopes                 []string
	// intent becomes the token's intent claim (the message id); resource
	// its audience (RFC 8707: the gateway's URL).
	intent, resource string
}

// token is a granted access token and the scope the server says it granted.
type token struct {
	*oauth2.Token
	scope string
}

// fetchToken runs the client-credentials grant (client_secret_basic) at
// tokenURL through hc.
func fetchToken(ctx context.Context, hc *http.Client, tokenURL string, r tokenRequest) (token, error) {
	cc := clientcredentials.Config{
		ClientID:     r.clientID,
		ClientSecret: r.clientSecret,
		TokenURL:     tokenURL,
		Scopes:       r.scopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
		EndpointParams: url.Values{
			"intent":   {r.intent},
			"resource": {r.resource},
		},
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, hc))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return token{}, fmt.Errorf("%w: %s: %s", ErrToken, re.ErrorCode, re.ErrorDescription)
		}
		return token{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	scope, _ := tok.Extra("scope").(string)
	if scope == "" {
		scope = strings.Join(r.scopes, " ")
	}
	return token{Token: tok, scope: scope}, nil
}
