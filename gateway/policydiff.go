package gateway

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tracegate/tracegate/gateway/policy"
)

// describeChange says what differs between two policies, one clause per
// change, in the order of the configuration file, e.g.
//
//	scopes.overrides[posts.Posts.Delete]: [blog:admin] -> [blog:write]; scopes.mode: any -> all
//
// "" when they are equal. It is the "what" of a policy change's audit
// record and event.
func describeChange(old, next policy.Config) string {
	var out []string
	add := func(name, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s: %s -> %s", name, a, b))
		}
	}
	keyed(&out, "scopes.overrides", old.Scopes.Overrides, next.Scopes.Overrides,
		func(o policy.ScopeOverride) string { return o.Tool }, overrideText)
	add("scopes.default", listText(old.Scopes.Default), listText(next.Scopes.Default))
	add("scopes.mode", string(old.Scopes.Mode), string(next.Scopes.Mode))
	add("scopes.unscoped", string(old.Scopes.Unscoped), string(next.Scopes.Unscoped))
	add("scopes.wildcards", fmt.Sprint(old.Scopes.Wildcards), fmt.Sprint(next.Scopes.Wildcards))
	add("scopes.star", fmt.Sprint(old.Scopes.Star), fmt.Sprint(next.Scopes.Star))
	toolKey := func(l policy.ToolLimit) string { return l.Tool }
	limitOf := func(l policy.ToolLimit) string { return limitText(l.Limit) }
	keyed(&out, "rate_limit.tools", old.RateLimit.Tools, next.RateLimit.Tools, toolKey, limitOf)
	add("rate_limit.account", limitText(old.RateLimit.Account), limitText(next.RateLimit.Account))
	keyed(&out, "rate_limit.account_tool", old.RateLimit.AccountTool, next.RateLimit.AccountTool, toolKey, limitOf)
	add("list_uncallable", fmt.Sprint(old.ListUncallable), fmt.Sprint(next.ListUncallable))
	return strings.Join(out, "; ")
}

// keyed compares two lists of entries by key: added, removed and changed
// entries, in the order of next (removed ones after).
func keyed[T any](out *[]string, name string, old, next []T, key, text func(T) string) {
	before := map[string]string{}
	for _, o := range old {
		if _, dup := before[key(o)]; !dup {
			before[key(o)] = text(o)
		}
	}
	seen := map[string]bool{}
	for _, n := range next {
		k := key(n)
		if seen[k] {
			continue
		}
		seen[k] = true
		was, ok := before[k]
		switch {
		case !ok:
			*out = append(*out, fmt.Sprintf("%s[%s]: added %s", name, k, text(n)))
		case was != text(n):
			*out = append(*out, fmt.Sprintf("%s[%s]: %s -> %s", name, k, was, text(n)))
		}
	}
	var gone []string
	for k := range before {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	slices.Sort(gone)
	for _, k := range gone {
		*out = append(*out, fmt.Sprintf("%s[%s]: removed (was %s)", name, k, before[k]))
	}
}

func overrideText(o policy.ScopeOverride) string {
	s := listText(o.Scopes)
	if o.Mode != "" {
		s += " mode " + string(o.Mode)
	}
	return s
}

func listText(s []string) string { return "[" + strings.Join(s, " ") + "]" }

func limitText(l policy.Limit) string {
	if l.Rate == 0 && l.Burst == 0 {
		return "none"
	}
	return fmt.Sprintf("%g/s burst %d", l.Rate, l.Burst)
}
