package policy

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// toolMatcher finds the configuration entry for a tool name. Order:
//
//  1. an entry whose pattern equals the tool name exactly;
//  2. otherwise the most specific glob (path.Match syntax: *, ?, [..]):
//     the one with the most literal (non-wildcard) characters, then the
//     longer pattern, then the earlier entry in the configuration.
type toolMatcher[T any] struct {
	exact    map[string]T
	patterns []patternEntry[T]
}

type patternEntry[T any] struct {
	pattern  string
	literals int
	value    T
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

func validatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty tool name", ErrInvalidPattern)
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidPattern, p, err)
	}
	return nil
}

func newToolMatcher[T any](n int) *toolMatcher[T] {
	return &toolMatcher[T]{exact: make(map[string]T, n)}
}

// add registers value for pattern; the first entry for an exact name wins.
func (m *toolMatcher[T]) add(pattern string, value T) {
	if !isGlob(pattern) {
		if _, dup := m.exact[pattern]; !dup {
			m.exact[pattern] = value
		}
		return
	}
	lit := 0
	for _, r := range pattern {
		if !strings.ContainsRune("*?[]", r) {
			lit++
		}
	}
	m.patterns = append(m.patterns, patternEntry[T]{pattern: pattern, literals: lit, value: value})
	sort.SliceStable(m.patterns, func(i, j int) bool {
		a, b := m.patterns[i], m.patterns[j]
		if a.literals != b.literals {
			return a.literals > b.literals
		}
		return len(a.pattern) > len(b.pattern)
	})
}

func (m *toolMatcher[T]) lookup(tool string) (T, bool) {
	if v, ok := m.exact[tool]; ok {
		return v, true
	}
	for _, p := range m.patterns {
		if ok, _ := path.Match(p.pattern, tool); ok {
			return p.value, true
		}
	}
	var zero T
	return zero, false
}
