package authserver

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Redirect URI limits.
const (
	maxRedirectURIs   = 10
	maxRedirectURILen = 2048
)

// forbiddenSchemes may never be redirect targets: they run or read things
// in the browser instead of handing the code to the client.
var forbiddenSchemes = map[string]bool{"javascript": true, "data": true, "file": true, "vbscript": true,
	"about": true, "blob": true, "filesystem": true, "ws": true, "wss": true}

// checkRedirectURI checks a redirect URI a client registers (OAuth 2.1
// §2.3.1, RFC 8252 §7): absolute, at most 2 KiB, no fragment and no user
// info, and either https, http on a loopback host (127.0.0.1, [::1] or
// localhost: a native app's local listener), or a private-use scheme such as
// cursor:// or vscode:// (RFC 8252 §7.1) other than the browser's own
// schemes.
func checkRedirectURI(raw string) error {
	if len(raw) > maxRedirectURILen {
		return fmt.Errorf("redirect URI longer than %d bytes", maxRedirectURILen)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("redirect URI %q is not an absolute URI", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("redirect URI %q has a fragment", raw)
	}
	if u.User != nil {
		return fmt.Errorf("redirect URI %q has user info", raw)
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "https":
		if u.Host == "" {
			return fmt.Errorf("redirect URI %q has no host", raw)
		}
	case scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("redirect URI %q: http is allowed on a loopback host only (127.0.0.1, [::1], localhost)", raw)
		}
	case forbiddenSchemes[scheme]:
		return fmt.Errorf("redirect URI %q: scheme %s is not allowed", raw, scheme)
	}
	return nil
}

// isLoopbackHost reports whether host (without port or brackets) is
// localhost or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redirectMatches reports whether a requested redirect URI matches a
// registered one: exactly (simple string comparison, OAuth 2.1 §4.1.1), or,
// for http on a loopback host, exactly but for the port, which a native app
// picks when it starts listening (RFC 8252 §7.3).
func redirectMatches(registered, requested string) bool {
	if registered == requested {
		return true
	}
	r, err1 := url.Parse(registered)
	q, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || r.Scheme != "http" || q.Scheme != "http" || !isLoopbackHost(r.Hostname()) {
		return false
	}
	return r.Hostname() == q.Hostname() && r.User == nil && q.User == nil &&
		r.EscapedPath() == q.EscapedPath() && r.RawQuery == q.RawQuery && !r.ForceQuery && !q.ForceQuery &&
		r.Fragment == "" && q.Fragment == "" && !strings.Contains(requested, "#")
}
