package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"

	"gopkg.in/yaml.v3"

	"github.com/tracegate/tracegate/gateway/policy"
)

// ErrConfigNotMapping: the configuration file is not a YAML mapping.
var ErrConfigNotMapping = errors.New("gateway: config file is not a YAML mapping")

// parseConfig decodes a configuration file's bytes as LoadConfig does:
// over DefaultConfig, unknown keys refused, validated.
func parseConfig(data []byte) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// fileHash identifies a configuration file's content.
func fileHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// yamlOverride and yamlLimit are how policy entries are written back:
// only the members that are set, lists in block style (yaml.v3 quotes
// "blog:read" inside a flow list).
type yamlOverride struct {
	Tool   string   `yaml:"tool"`
	Scopes []string `yaml:"scopes,omitempty"`
	Mode   string   `yaml:"mode,omitempty"`
}

type yamlLimit struct {
	Tool  string  `yaml:"tool,omitempty"`
	Rate  float64 `yaml:"rate"`
	Burst int     `yaml:"burst"`
}

func yamlOverrides(list []policy.ScopeOverride) []yamlOverride {
	out := make([]yamlOverride, 0, len(list))
	for _, o := range list {
		out = append(out, yamlOverride{Tool: o.Tool, Scopes: o.Scopes, Mode: string(o.Mode)})
	}
	return out
}

func yamlLimits(ls []policy.ToolLimit) []yamlLimit {
	out := make([]yamlLimit, 0, len(ls))
	for _, l := range ls {
		out = append(out, yamlLimit{Tool: l.Tool, Rate: l.Rate, Burst: l.Burst})
	}
	return out
}

// policyField is one member of the policy section the console edits: its
// path under policy and its value in a configuration.
type policyField struct {
	path  []string
	value func(policy.Config) any
}

var policyFields = []policyField{
	{[]string{"scopes", "overrides"}, func(c policy.Config) any { return yamlOverrides(c.Scopes.Overrides) }},
	{[]string{"scopes", "default"}, func(c policy.Config) any { return c.Scopes.Default }},
	{[]string{"scopes", "mode"}, func(c policy.Config) any { return string(c.Scopes.Mode) }},
	{[]string{"scopes", "unscoped"}, func(c policy.Config) any { return string(c.Scopes.Unscoped) }},
	{[]string{"scopes", "wildcards"}, func(c policy.Config) any { return c.Scopes.Wildcards }},
	{[]string{"scopes", "star"}, func(c policy.Config) any { return c.Scopes.Star }},
	{[]string{"rate_limit", "tools"}, func(c policy.Config) any { return yamlLimits(c.RateLimit.Tools) }},
	{[]string{"rate_limit", "account"}, func(c policy.Config) any {
		return yamlLimit{Rate: c.RateLimit.Account.Rate, Burst: c.RateLimit.Account.Burst}
	}},
	{[]string{"rate_limit", "account_tool"}, func(c policy.Config) any { return yamlLimits(c.RateLimit.AccountTool) }},
	{[]string{"list_uncallable"}, func(c policy.Config) any { return c.ListUncallable }},
}

// rewritePolicy returns the configuration file data with the policy
// members that differ between old and next replaced by next's. Only the
// text of the top-level policy section changes: it is edited as a YAML node
// tree (comments kept, also those of list entries matched by tool) and
// spliced back between the lines around it, so the rest of the file stays
// byte for byte as it was.
func rewritePolicy(data []byte, old, next policy.Config) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("gateway: config file: %w", err)
	}
	if doc.Kind == 0 { // empty file
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, ErrConfigNotMapping
	}
	top := doc.Content[0]
	at := -1
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "policy" {
			at = i
		}
	}
	if at < 0 {
		top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "policy"},
			&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		at = len(top.Content) - 2
	}
	section := top.Content[at+1]
	if section.Kind == yaml.ScalarNode && section.Tag == "!!null" {
		*section = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", LineComment: section.LineComment}
	}
	if section.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: policy is not a mapping", ErrConfigNotMapping)
	}
	for _, f := range policyFields {
		before, after := f.value(old), f.value(next)
		if reflect.DeepEqual(before, after) {
			continue
		}
		var val yaml.Node
		if err := val.Encode(after); err != nil {
			return nil, fmt.Errorf("gateway: encode policy.%v: %w", f.path, err)
		}
		if err := setPath(section, f.path, &val); err != nil {
			return nil, err
		}
	}
	return splice(data, top, at)
}

// splice renders the top-level entry at index at of mapping top and puts
// it in place of its old lines: from its key's line to the line before the
// next top-level key (and that key's head comment), trailing blank lines
// kept; or at the end of the file when the entry is new.
func splice(data []byte, top *yaml.Node, at int) ([]byte, error) {
	key, val := *top.Content[at], top.Content[at+1]
	key.HeadComment = "" // those lines stay where they are
	indent := 2
	if val.Kind == yaml.MappingNode && len(val.Content) > 0 && key.Line > 0 && val.Content[0].Line > key.Line {
		indent = max(1, val.Content[0].Column-key.Column)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(indent)
	if err := enc.Encode(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{&key, val}}); err != nil {
		return nil, fmt.Errorf("gateway: config file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("gateway: config file: %w", err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if key.Line == 0 { // a new section: append it
		out := bytes.Clone(data)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		return append(out, buf.Bytes()...), nil
	}
	if key.Column != 1 {
		return nil, fmt.Errorf("%w: policy is not a top-level block key", ErrConfigNotMapping)
	}
	start, end := key.Line-1, len(lines)
	if at+2 < len(top.Content) {
		next := top.Content[at+2]
		end = next.Line - 1
		if next.HeadComment != "" {
			end -= strings.Count(strings.TrimRight(next.HeadComment, "\n"), "\n") + 1
		}
	}
	for end > start+1 && len(bytes.TrimSpace(lines[end-1])) == 0 {
		end--
	}
	out := bytes.Join(lines[:start], nil)
	out = append(out, buf.Bytes()...)
	return append(out, bytes.Join(lines[end:], nil)...), nil
}

// setPath sets the value at path in mapping m, creating mappings on the
// way; a replaced value keeps its comments, and so do the entries of a
// replaced list that keep their tool.
func setPath(m *yaml.Node, path []string, val *yaml.Node) error {
	for i, key := range path {
		var cur *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == key {
				cur = m.Content[j+1]
				break
			}
		}
		last := i == len(path)-1
		switch {
		case last && cur != nil:
			val.HeadComment, val.LineComment, val.FootComment = cur.HeadComment, cur.LineComment, cur.FootComment
			keepItemComments(cur, val)
			*cur = *val
			return nil
		case last:
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
			return nil
		case cur == nil || (cur.Kind == yaml.ScalarNode && cur.Tag == "!!null"):
			if cur == nil {
				cur = &yaml.Node{}
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, cur)
			}
			*cur = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", LineComment: cur.LineComment}
		case cur.Kind != yaml.MappingNode:
			return fmt.Errorf("%w: %s is not a mapping", ErrConfigNotMapping, key)
		}
		m = cur
	}
	return nil
}

// keepItemComments copies the comments of old list entries (mappings with
// a tool member) to the new entries for the same tool.
func keepItemComments(old, val *yaml.Node) {
	if old.Kind != yaml.SequenceNode || val.Kind != yaml.SequenceNode {
		return
	}
	byTool := map[string]*yaml.Node{}
	for _, it := range old.Content {
		if t := member(it, "tool"); t != nil {
			byTool[t.Value] = it
		}
	}
	for _, it := range val.Content {
		t := member(it, "tool")
		if t == nil || byTool[t.Value] == nil {
			continue
		}
		was := byTool[t.Value]
		it.HeadComment, it.LineComment, it.FootComment = was.HeadComment, was.LineComment, was.FootComment
		for j := 0; j+1 < len(it.Content); j += 2 {
			for k := 0; k+1 < len(was.Content); k += 2 {
				if it.Content[j].Value == was.Content[k].Value {
					it.Content[j].HeadComment, it.Content[j].LineComment = was.Content[k].HeadComment, was.Content[k].LineComment
					it.Content[j+1].LineComment = was.Content[k+1].LineComment
				}
			}
		}
	}
}

// member returns the scalar value node of key in mapping m, nil if none.
func member(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == key && m.Content[j+1].Kind == yaml.ScalarNode {
			return m.Content[j+1]
		}
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, written and fsynced, given path's mode, renamed over path, and
// the directory fsynced, so a reader sees the old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("gateway: write config: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr, os.Chmod(tmp.Name(), mode)); err != nil {
		return fmt.Errorf("gateway: write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gateway: write config: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// fileReadOnly says why the configuration file cannot be rewritten, ""
// when it can: no write bit on the file (the operator's intent, also for
// root), or no write access to it or to its directory (a read-only mount).
func fileReadOnly(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Sprintf("the configuration file %s cannot be read: %v", path, err)
	}
	if fi.Mode().Perm()&0o222 == 0 {
		return fmt.Sprintf("the configuration file %s is read-only (mode %#o)", path, fi.Mode().Perm())
	}
	const wOK = 2
	if err := syscall.Access(path, wOK); err != nil {
		return fmt.Sprintf("the configuration file %s is not writable: %v", path, err)
	}
	if err := syscall.Access(filepath.Dir(path), wOK); err != nil {
		return fmt.Sprintf("the directory of %s is not writable (the file is replaced by a rename): %v", path, err)
	}
	return ""
}
