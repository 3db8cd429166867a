package tool

import "strings"

// ParseScopes splits a comma-separated scopes value (the registry format):
// each scope trimmed, empty ones dropped, duplicates removed, order kept. It
// returns nil when no scope remains.
func ParseScopes(s string) []string {
	return normalizeScopes(strings.Split(s, ","))
}

// FormatScopes joins scopes into the registry format, normalised like
// [ParseScopes] ("a,b", no spaces: go-micro's gateway splits on "," without
// trimming). An argument may itself be a comma-separated list.
func FormatScopes(scopes ...string) string {
	return strings.Join(ParseScopes(strings.Join(scopes, ",")), ",")
}

func normalizeScopes(in []string) []string {
	var out []string
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
