package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client ID Metadata Document limits: each fetch is bounded in time and
// size and never follows a redirect; documents are cached for the lifetime
// their Cache-Control max-age gives, clamped to [minDocumentTTL,
// maxDocumentTTL] (defaultDocumentTTL without one, not at all with
// no-store), at most maxDocuments of them.
const (
	documentFetchTimeout = 5 * time.Second
	maxDocumentBytes     = 64 << 10
	maxDocuments         = 500
	minDocumentTTL       = time.Minute
	defaultDocumentTTL   = 5 * time.Minute
	maxDocumentTTL       = 24 * time.Hour
)

// errDocument wraps every reason a Client ID Metadata Document is refused.
var errDocument = errors.New("client metadata document")

// documentClientID reports whether id is a URL client_id whose metadata
// document is to be fetched (MCP 2025-11-25 client registration, OAuth
// Client ID Metadata Document): https with a path other than "/", or, for
// local development, http on a loopback host; no user info, query or
// fragment.
func documentClientID(id string) bool {
	u, err := url.Parse(id)
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(id, "#") ||
		u.Path == "" || u.Path == "/" || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}

// documentClient returns the client described by the metadata document at
// id, from the cache or fetched now. The document's client_id must equal id
// exactly; its metadata must pass [clientMetadata.check] with
// token_endpoint_auth_method none (a document cannot hold a secret).
func (s *Server) documentClient(ctx context.Context, id string) (publicClient, error) {
	if c, ok := s.documents.get(id); ok {
		return c, nil
	}
	m, ttl, err := s.fetchDocument(ctx, id)
	if err != nil {
		return publicClient{}, err
	}
	if m.ClientID != id {
		return publicClient{}, fmt.Errorf("%w: client_id %q in the document differs from its URL %q", errDocument, m.ClientID, id)
	}
	c, err := m.check(id, true)
	if err != nil {
		return publicClient{}, fmt.Errorf("%w at %s: %w", errDocument, id, err)
	}
	if ttl > 0 {
		s.documents.put(id, c, ttl)
	}
	return c, nil
}

// fetchDocument GETs the document and returns it with its cache lifetime.
func (s *Server) fetchDocument(ctx context.Context, id string) (clientMetadata, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, documentFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return clientMetadata{}, 0, fmt.Errorf("%w: %w", errDocument, err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.fetch.Do(req)
	if err != nil {
		return clientMetadata{}, 0, fmt.Errorf("%w: GET %s: %w", errDocument, id, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return clientMetadata{}, 0, fmt.Errorf("%w: GET %s answered %s", errDocument, id, res.Status)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil ||
		(mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return clientMetadata{}, 0, fmt.Errorf("%w: %s is %q, not JSON", errDocument, id, res.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocumentBytes+1))
	if err != nil {
		return clientMetadata{}, 0, fmt.Errorf("%w: read %s: %w", errDocument, id, err)
	}
	if len(body) > maxDocumentBytes {
		return clientMetadata{}, 0, fmt.Errorf("%w: %s is larger than %d bytes", errDocument, id, maxDocumentBytes)
	}
	var m clientMetadata
	if err := json.Unmarshal(body, &m); err != nil {
		return clientMetadata{}, 0, fmt.Errorf("%w: %s: %w", errDocument, id, err)
	}
	return m, documentTTL(res.Header.Get("Cache-Control")), nil
}

// documentTTL reads a Cache-Control header: 0 for no-store or no-cache,
// else max-age clamped to [minDocumentTTL, maxDocumentTTL], else
// defaultDocumentTTL.
func documentTTL(cc string) time.Duration {
	ttl := defaultDocumentTTL
	for d := range strings.SplitSeq(cc, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(k) {
		case "no-store", "no-cache":
			return 0
		case "max-age":
			n, err := strconv.Atoi(strings.Trim(v, `"`))
			if err != nil || n < 0 {
				continue
			}
			ttl = min(max(time.Duration(n)*time.Second, minDocumentTTL), maxDocumentTTL)
		}
	}
	return ttl
}

// newFetchClient is the HTTP client for metadata documents: base (nil:
// http.DefaultTransport) with a timeout and no redirects.
func newFetchClient(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Timeout = documentFetchTimeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return errors.New("redirects are not followed") }
	return c
}
