package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Audit files are named from the configured path: the first file is the
// path itself (index 0, e.g. audit.jsonl) and rotation creates
// <stem>-NNNNNN<ext> beside it (audit-000001.jsonl, …). Files are never
// renamed; the highest index is the active one.

// segmentPath returns the file name of segment index for base.
func segmentPath(base string, index int) string {
	if index == 0 {
		return base
	}
	ext := filepath.Ext(base)
	return fmt.Sprintf("%s-%06d%s", strings.TrimSuffix(base, ext), index, ext)
}

// segmentIndex parses the index of path relative to base (-1 if unrelated).
func segmentIndex(base, path string) int {
	if filepath.Clean(path) == filepath.Clean(base) {
		return 0
	}
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(filepath.Clean(base), ext) + "-"
	p := filepath.Clean(path)
	if !strings.HasPrefix(p, stem) || !strings.HasSuffix(p, ext) {
		return -1
	}
	digits := strings.TrimSuffix(strings.TrimPrefix(p, stem), ext)
	n, err := strconv.Atoi(digits)
	if err != nil || len(digits) != 6 || n <= 0 {
		return -1
	}
	return n
}

// Segments lists the existing files of the audit log rooted at base, in
// chain order (base first, then by index).
func Segments(base string) ([]string, error) {
	ext := filepath.Ext(base)
	matches, err := filepath.Glob(strings.TrimSuffix(base, ext) + "-[0-9][0-9][0-9][0-9][0-9][0-9]" + ext)
	if err != nil {
		return nil, fmt.Errorf("audit: list segments of %s: %w", base, err)
	}
	var out []string
	if _, err := os.Stat(base); err == nil {
		out = append(out, base)
	}
	slices.SortFunc(matches, func(a, b string) int { return segmentIndex(base, a) - segmentIndex(base, b) })
	for _, m := range matches {
		if segmentIndex(base, m) > 0 {
			out = append(out, m)
		}
	}
	return out, nil
}
