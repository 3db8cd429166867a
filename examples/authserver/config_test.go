package authserver_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/examples/authserver"
)

func TestConfigValidate(t *testing.T) {
	ok := authserver.DefaultConfig()
	tests := []struct {
		name string
		edit func(*authserver.Config)
		want error
	}{
		{"default", func(*authserver.Config) {}, nil},
		{"zero lifetime means default", func(c *authserver.Config) { c.TokenLifetime = 0 }, nil},
		{"issuer with trailing slash", func(c *authserver.Config) { c.Issuer = "http://authserver:9090/" }, nil},
		{"empty issuer", func(c *authserver.Config) { c.Issuer = "" }, authserver.ErrInvalidIssuer},
		{"relative issuer", func(c *authserver.Config) { c.Issuer = "authserver:9090" }, authserver.ErrInvalidIssuer},
		{"issuer with path", func(c *authserver.Config) { c.Issuer = "http://a/tenant" }, authserver.ErrInvalidIssuer},
		{"issuer with query", func(c *authserver.Config) { c.Issuer = "http://a?x=1" }, authserver.ErrInvalidIssuer},
		{"ftp issuer", func(c *authserver.Config) { c.Issuer = "ftp://a" }, authserver.ErrInvalidIssuer},
		{"empty audience", func(c *authserver.Config) { c.Audience = "" }, authserver.ErrInvalidAudience},
		{"audience with fragment", func(c *authserver.Config) { c.Audience = "http://g/mcp#x" }, authserver.ErrInvalidAudience},
		{"lifetime over 5m", func(c *authserver.Config) { c.TokenLifetime = 6 * time.Minute }, authserver.ErrInvalidLifetime},
		{"negative lifetime", func(c *authserver.Config) { c.TokenLifetime = -time.Second }, authserver.ErrInvalidLifetime},
		{"sub-second lifetime", func(c *authserver.Config) { c.TokenLifetime = time.Millisecond }, authserver.ErrInvalidLifetime},
		{"no clients", func(c *authserver.Config) { c.Clients = nil }, authserver.ErrNoClients},
		{"duplicate client", func(c *authserver.Config) { c.Clients = append(c.Clients, c.Clients[0]) }, authserver.ErrInvalidClient},
		{"empty secret", func(c *authserver.Config) { c.Clients = []authserver.Client{{ID: "a"}} }, authserver.ErrInvalidClient},
		{"id with space", func(c *authserver.Config) { c.Clients = []authserver.Client{{ID: "a b", Secret: "s"}} }, authserver.ErrInvalidClient},
		{"bad scope", func(c *authserver.Config) {
			c.Clients = []authserver.Client{{ID: "a", Secret: "s", Scopes: []string{"x y"}}}
		}, authserver.ErrInvalidClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			c.Clients = append([]authserver.Client(nil), ok.Clients...)
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
			if _, nerr := authserver.New(c); (nerr == nil) != (err == nil) {
				t.Errorf("New = %v, Validate = %v", nerr, err)
			}
		})
	}
}

func TestDemoClientsCannotAdminister(t *testing.T) {
	for _, c := range authserver.DemoClients() {
		if c.ID == "demo-agent" && strings.Contains(strings.Join(c.Scopes, " "), "blog:admin") {
			t.Fatal("demo-agent must not have blog:admin: the demo's Posts.Delete is meant to be refused")
		}
	}
}

func TestParseClients(t *testing.T) {
	got, err := authserver.ParseClients(" a:s1:blog:read,blog:write ; b:s2:blog:read blog:admin;c:s3:;d:s4")
	if err != nil {
		t.Fatal(err)
	}
	want := []authserver.Client{
		{ID: "a", Secret: "s1", Scopes: []string{"blog:read", "blog:write"}},
		{ID: "b", Secret: "s2", Scopes: []string{"blog:read", "blog:admin"}},
		{ID: "c", Secret: "s3", Scopes: []string{}},
		{ID: "d", Secret: "s4"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Secret != want[i].Secret || strings.Join(got[i].Scopes, " ") != strings.Join(want[i].Scopes, " ") {
			t.Errorf("client %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", ";", "justid", ":secret:x", "a:", "a:s:bad\"scope"} {
		_, err := authserver.ParseClients(bad)
		if err == nil {
			t.Errorf("ParseClients(%q): want error", bad)
		}
	}
	if _, err := authserver.ParseClients("bad id:supersecret:x"); err == nil || strings.Contains(err.Error(), "supersecret") {
		t.Errorf("error leaks the entry: %v", err)
	}
	if _, err := authserver.ParseClients("a:topsecret"); err != nil {
		t.Errorf("client without scopes: %v", err)
	}
}

func TestLoadClientsYAMLAndJSON(t *testing.T) {
	dir := t.TempDir()
	want := []authserver.Client{{ID: "demo-agent", Secret: "x", Scopes: []string{"blog:read"}}}
	files := map[string]string{
		"clients.yaml": "clients:\n  - id: demo-agent\n    secret: x\n    scopes: [blog:read]\n",
		"clients.json": `{"clients": [{"id": "demo-agent", "secret": "x", "scopes": ["blog:read"]}]}`,
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{path, "@" + path} {
			got, err := authserver.ClientsFromFlag(v)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("ClientsFromFlag(%s) = %+v, %v", v, got, err)
			}
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	for _, body := range []string{"clients: []\n", "clients:\n  - id: a\n    secret: s\n    scope: [x]\n", "clients:\n  - id: a\n"} {
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := authserver.LoadClients(bad); err == nil {
			t.Errorf("LoadClients(%q): want error", body)
		}
	}
	if _, err := authserver.LoadClients(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file: want error")
	}
}

func TestLoadSigningKeyRejectsWeakOrForeignKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384DER, _ := x509.MarshalECPrivateKey(p384)
	pubDER, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	for name, path := range map[string]string{
		"RSA 1024":   write("rsa.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)),
		"P-384":      write("p384.pem", "EC PRIVATE KEY", p384DER),
		"public key": write("pub.pem", "PUBLIC KEY", pubDER),
		"garbage":    write("garbage.pem", "PRIVATE KEY", []byte("nope")),
		"missing":    filepath.Join(dir, "none.pem"),
	} {
		if _, err := authserver.LoadSigningKey(path); !errors.Is(err, authserver.ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
	notPEM := filepath.Join(dir, "plain.txt")
	_ = os.WriteFile(notPEM, []byte("hello"), 0o600)
	if _, err := authserver.LoadSigningKey(notPEM); !errors.Is(err, authserver.ErrInvalidKey) {
		t.Errorf("not PEM: %v", err)
	}
	if _, err := authserver.New(authserver.Config{Issuer: "http://a", Audience: "http://g/mcp", Clients: authserver.DemoClients(), SigningKey: small}); !errors.Is(err, authserver.ErrInvalidKey) {
		t.Errorf("New with RSA 1024: %v", err)
	}
}
