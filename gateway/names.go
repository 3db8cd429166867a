package gateway

import "strings"

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
