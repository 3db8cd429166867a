package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestNewRecordCopiesAndDigests(t *testing.T) {
	d := NewDigester([]byte("k"))
	f := callFields(0)
	f.Time = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	a := NewRecord(f, WithDigester(d))
	f.Arguments = []byte("{ \"n\" : 1,\n \"title\":\"hello\" }")
	b := NewRecord(f, WithDigester(d))
	f.Arguments = []byte(`{"n":1,"title":"hello"}`)
	c := NewRecord(f, WithDigester(d))
	if b.ArgsDigest() != c.ArgsDigest() || a.ArgsDigest() == b.ArgsDigest() || len(c.ArgsDigest()) != 64 {
		t.Fatalf("digests %s %s %s", a.ArgsDigest(), b.ArgsDigest(), c.ArgsDigest())
	}
	if NewRecord(f, WithDigester(NewDigester([]byte("other")))).ArgsDigest() == c.ArgsDigest() {
		t.Fatal("digest does not depend on the key")
	}
	if a.ID() == b.ID() || len(a.ID()) != 32 || a.Time().Location() != time.UTC {
		t.Fatalf("id %s time %v", a.ID(), a.Time())
	}
	s := a.RequiredScopes()
	s[0] = "x"
	if a.RequiredScopes()[0] != "posts:write" {
		t.Fatal("getter exposed internal slice")
	}
	if c.Args() != "" {
		t.Fatal("plaintext args without opt-in")
	}
}

func TestPlaintextArgsCapped(t *testing.T) {
	f := callFields(0)
	f.KeepArguments = true
	f.Arguments = []byte(`{"s":"` + strings.Repeat("é", 20) + `"}`)
	r := NewRecord(f, WithArgsCap(10))
	if !r.ArgsTruncated() || len(r.Args()) > 10 || !strings.HasPrefix(r.Args(), `{"s":"`) || strings.ContainsRune(r.Args(), '\uFFFD') {
		t.Fatalf("args %q truncated %v", r.Args(), r.ArgsTruncated())
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	sealed, err := Head{}.seal(NewRecord(callFields(1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sealed)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"trace_id"`, `"required_scopes"`, `"prev_hash":""`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("missing %s in %s", k, b)
		}
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if h, _ := recordHash(back.w); h != sealed.Hash() || !back.Time().Equal(sealed.Time()) {
		t.Fatal("round trip changed the record")
	}
}

func TestConfigValidate(t *testing.T) {
	mod := func(f func(*Config)) Config { c := DefaultConfig(); f(&c); return c }
	cases := []struct {
		c    Config
		want error
	}{
		{DefaultConfig(), nil},
		{mod(func(c *Config) { c.Mode = "fast" }), ErrInvalidMode},
		{mod(func(c *Config) { c.ToolModes = map[string]Mode{"t": "x"} }), ErrInvalidMode},
		{mod(func(c *Config) { c.MethodLevel = "full" }), ErrInvalidLevel},
		{mod(func(c *Config) { c.File.RotateBytes = 10 }), ErrInvalidRotate},
		{mod(func(c *Config) { c.File.CheckpointEvery = -1 }), ErrInvalidCheckpoint},
		{mod(func(c *Config) { c.QueueSize = 0 }), ErrInvalidQueueSize},
		{mod(func(c *Config) { c.PlaintextArgsMax = -1 }), ErrInvalidArgsMax},
		{mod(func(c *Config) { c.HMACKey, c.HMACKeyFile = "a", "b" }), ErrHMACKeyConflict},
		{mod(func(c *Config) { c.Mode = ModeStrict }), ErrStrictNeedsFile},
	}
	for _, tc := range cases {
		if err := tc.c.Validate(); (tc.want == nil) != (err == nil) || (tc.want != nil && !errorsIs(err, tc.want)) {
			t.Errorf("%+v: err %v, want %v", tc.c, err, tc.want)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	c := DefaultConfig()
	src := `
mode: batch
tool_modes: {payments.Pay: strict}
file: {path: /var/log/audit.jsonl, rotate_bytes: 1048576, checkpoint_every: 100, checkpoint_interval: 30s, signing_key_file: k.pem}
plaintext_args_tools: [posts.Posts.Create]
method_level: none
`
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.modeFor("payments.Pay") != ModeStrict || c.modeFor("x") != ModeBatch || c.File.CheckpointInterval != 30*time.Second || c.QueueSize != DefaultQueueSize {
		t.Fatalf("%+v", c)
	}
}
