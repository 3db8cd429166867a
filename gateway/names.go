package gateway

import (
	"fmt"
	"regexp"
	"strings"
)

// maxToolName is the MCP tool-name length limit.
const maxToolName = 128

// canonicalName is the name go-micro's gateway gives an endpoint's tool:
// <service>.<Endpoint>, e.g. posts.Posts.Create.
func canonicalName(service, endpoint string) string {
	return service + "." + endpoint
}

// sanitizeName maps a canonical name into [A-Za-z0-9_.-]{1,128}: other
// characters become '_' and the name is cut at 128 bytes.
func sanitizeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= maxToolName {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// Tool name styles (Config.ToolNameStyle): how a tool's canonical name
// appears at the MCP boundary. Overrides, limiter keys, audit records,
// identities and the guard always use the canonical name.
const (
	// StyleDotted names tools <service>.<Endpoint> (posts.Posts.Create), as
	// go-micro's gateway does; valid MCP.
	StyleDotted = "dotted"
	// StyleUnderscore names them posts_Posts_Create, for clients and LLM
	// function-calling APIs that accept only ^[a-zA-Z0-9_-]{1,64}$.
	StyleUnderscore = "underscore"
)

// underscoreName is what StyleUnderscore names must match.
var underscoreName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// displayName is canonical in style: dotted (default) or underscore. A
// name that cannot be written in the style is an ErrBadToolName.
func displayName(canonical, style string) (string, error) {
	name := sanitizeName(canonical)
	if style != StyleUnderscore {
		return name, nil
	}
	name = strings.ReplaceAll(name, ".", "_")
	if !underscoreName.MatchString(name) {
		return "", fmt.Errorf("%w: %s is %q in underscore style, over 64 characters: rename it (tools.%s.name)", ErrBadToolName, canonical, name, canonical)
	}
	return name, nil
}
