package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/gateway/reason"
)

// auditFixture writes keys with `tracegate keygen` and a MAC-keyed log:
// six denials signed on close, then two more written without the signing
// key, so the log ends with two records after its last checkpoint.
func auditFixture(t *testing.T) (dir, log, pub, mac string) {
	t.Helper()
	dir = t.TempDir()
	key, mac := filepath.Join(dir, "audit.pem"), filepath.Join(dir, "audit.mac")
	if code, out := tracegate(t, "keygen", "--out", key, "--mac-out", mac); code != 0 || !strings.Contains(out, "MAC key id") {
		t.Fatalf("keygen: %d %s", code, out)
	}
	if code, out := tracegate(t, "keygen", "--mac-out", mac); code != 1 || !strings.Contains(out, "exists") {
		t.Fatalf("keygen overwrote a MAC key: %d %s", code, out)
	}
	log = filepath.Join(dir, "audit.jsonl")
	for i, signing := range []string{key, ""} {
		cfg := audit.DefaultConfig()
		cfg.Mode, cfg.File.Path, cfg.MACKeyFile, cfg.File.SigningKeyFile = audit.ModeStrict, log, mac, signing
		r, err := audit.New(cfg, audit.WithLogger(quietLog{}))
		if err != nil {
			t.Fatal(err)
		}
		for j := range 6 - 4*i {
			if _, err := r.Record(context.Background(), audit.Fields{Tool: "posts.Posts.Delete", Subject: "alice",
				Decision: audit.Deny, Reason: reason.InsufficientScope, JSONRPCID: string(rune('a' + j))}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return dir, log, strings.TrimSuffix(key, ".pem") + ".pub.pem", mac
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}

func tracegate(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, nil, &out, &out)
	return code, out.String()
}

// `tracegate audit verify`: every flag, every exit code.
func TestAuditVerifyCommand(t *testing.T) {
	_, log, pub, mac := auditFixture(t)
	var rep audit.Report
	if code, out := tracegate(t, "audit", "verify", "--key", pub, "--mac-key", mac, "--json", log); code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("json: %d %s", code, out)
	}
	head := rep.Head
	for _, tc := range []struct {
		name   string
		env    string
		args   []string
		tamper func(t *testing.T)
		code   int
		want   string
	}{
		{"keys", "", []string{"--key", pub, "--mac-key", mac}, nil, 0, "OK, intact, 2 records after the last checkpoint (MAC-verified)"},
		{"MAC key from the environment", mac, []string{"--key", pub}, nil, 0, "(MAC-verified)"},
		{"no MAC key", "", []string{"--key", pub}, nil, 4, "tail not verifiable: 2 record(s)"},
		{"no MAC key, allowed", "", []string{"--key", pub, "--allow-unsigned-tail"}, nil, 0, "OK, intact"},
		{"pinned head", "", []string{"--key", pub, "--mac-key", mac, "--expect-head", head}, nil, 0, "OK"},
		{"minimum met", "", []string{"--key", pub, "--mac-key", mac, "--min-records", "8"}, nil, 0, "OK"},
		{"minimum not met", "", []string{"--key", pub, "--mac-key", mac, "--min-records", "9"}, nil, 1, "FAIL, truncated"},
		{"no public key", "", []string{"--mac-key", mac}, nil, 2, "trusted public key is needed"},
		{"missing MAC key file", "", []string{"--key", pub, "--mac-key", mac + ".missing"}, nil, 2, "read MAC key"},
		{"short pin", "", []string{"--key", pub, "--expect-head", "abc"}, nil, 2, "at least 16 hex"},
		{"unreachable witness", "", []string{"--key", pub, "--mac-key", mac, "--witness", "http://127.0.0.1:1"}, nil, 2, "witness"},
		{"last record cut off, pinned head", "", []string{"--key", pub, "--mac-key", mac, "--expect-head", head[:16]},
			func(t *testing.T) { dropLastLine(t, log) }, 1, "FAIL, truncated"},
		{"record rewritten", "", []string{"--key", pub, "--mac-key", mac},
			func(t *testing.T) { replaceIn(t, log, `"subject":"alice"`, `"subject":"bob"`) }, 1, "FAIL, tampered"},
		{"torn last line", "", []string{"--key", pub, "--mac-key", mac},
			func(t *testing.T) { appendTo(t, log, `{"type":"record","seq":9,`) }, 3, "FAIL, torn last line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(audit.EnvMACKey, tc.env)
			if tc.tamper != nil {
				orig, err := os.ReadFile(log)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = os.WriteFile(log, orig, 0o600) })
				tc.tamper(t)
			}
			code, out := tracegate(t, append(append([]string{"audit", "verify"}, tc.args...), log)...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, out)
			}
		})
	}
}

func dropLastLine(t *testing.T, path string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	s := strings.TrimSuffix(string(b), "\n")
	if err := os.WriteFile(path, []byte(s[:strings.LastIndexByte(s, '\n')+1]), 0o600); err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, path, old, repl string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	i := strings.LastIndex(string(b), old)
	if i < 0 {
		t.Fatalf("%q not in %s", old, path)
	}
	if err := os.WriteFile(path, []byte(string(b[:i])+repl+string(b[i+len(old):])), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, s...), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestServeAuditMACKeyFlag(t *testing.T) {
	t.Setenv(audit.EnvMACKey, "/from/env")
	f, err := parseServeFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := f.gatewayConfig(); cfg.Audit.MACKeyFile != "/from/env" {
		t.Fatalf("env: %q", cfg.Audit.MACKeyFile)
	}
	if f, err = parseServeFlags([]string{"--audit-mac-key", "/from/flag"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := f.gatewayConfig(); cfg.Audit.MACKeyFile != "/from/flag" {
		t.Fatalf("flag: %q", cfg.Audit.MACKeyFile)
	}
}
