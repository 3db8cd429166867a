package authserver

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseClients parses an inline client list:
//
//	id:secret:scope1,scope2;id2:secret2:scope3 scope4
//
// Entries are separated by ';'. Each is split at its first two ':' (so
// scopes may contain ':', ids and secrets may not); scopes are separated by
// ',' or spaces and may be empty.
func ParseClients(spec string) ([]Client, error) {
	var out []Client
	for entry := range strings.SplitSeq(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) < 2 {
			return nil, fmt.Errorf("%w: entry %q is not id:secret[:scopes]", ErrInvalidClient, redact(entry))
		}
		c := Client{ID: strings.TrimSpace(parts[0]), Secret: parts[1]}
		if len(parts) == 3 {
			c.Scopes = strings.FieldsFunc(parts[2], func(r rune) bool { return r == ',' || r == ' ' })
		}
		if err := c.validate(); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, ErrNoClients
	}
	return out, nil
}

// redact keeps an entry's id and drops the rest, so a secret never lands in
// an error message.
func redact(entry string) string {
	id, _, _ := strings.Cut(entry, ":")
	return id + ":…"
}

// clientsFile is the YAML or JSON client file:
//
//	clients:
//	  - id: demo-agent
//	    secret: demo-secret
//	    scopes: [blog:read, blog:write]
type clientsFile struct {
	Clients []Client `json:"clients" yaml:"clients"`
}

// LoadClients reads a YAML or JSON client file (JSON is YAML): a top-level
// "clients" list of {id, secret, scopes}. Unknown fields are errors.
func LoadClients(path string) ([]Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authserver: clients file: %w", err)
	}
	var f clientsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("authserver: clients file %s: %w", path, err)
	}
	if len(f.Clients) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoClients, path)
	}
	for _, c := range f.Clients {
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return f.Clients, nil
}

// ClientsFromFlag reads the --clients value: "@path", or a path ending in
// .yaml, .yml or .json, is a file for [LoadClients]; anything else is an
// inline spec for [ParseClients].
func ClientsFromFlag(v string) ([]Client, error) {
	if path, ok := strings.CutPrefix(v, "@"); ok {
		return LoadClients(path)
	}
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if strings.HasSuffix(strings.ToLower(v), ext) {
			return LoadClients(v)
		}
	}
	return ParseClients(v)
}
