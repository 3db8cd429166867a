package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/gateway/internal/wire"
	"github.com/tracegate/tracegate/gateway/policy"
)

func testSealer(t testing.TB, lifetime time.Duration, secrets ...string) *sealer {
	t.Helper()
	var bs [][]byte
	for _, s := range secrets {
		bs = append(bs, []byte(s))
	}
	s, err := newSealer(lifetime, bs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	keyA = "0000000000000000000000000000000000000000000000000000000000000a0a"
	keyB = "0000000000000000000000000000000000000000000000000000000000000b0b"
)

// initializeExchange is the exchange of an initialize by subject/client.
func initializeExchange(t testing.TB, subject, client, params string) *exchange {
	t.Helper()
	m, err := wire.Parse([]byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":`+params+`}`), 64)
	if err != nil {
		t.Fatal(err)
	}
	ex := newExchange(transportHTTP)
	ex.principal = policy.Principal{Subject: subject, Client: client}
	ex.setMessage(m)
	return ex
}

const initParams = `{"protocolVersion":"2025-06-18","capabilities":{"roots":{"listChanged":true}},"clientInfo":{"name":"agent","title":"An agent","version":"1.2"}}`

// TestSessionIDRoundTrip: a sealed id opens to the state it was sealed
// with, its handle is its prefix, and the state makes an initialized SDK
// session (negotiated version, client info, capabilities).
func TestSessionIDRoundTrip(t *testing.T) {
	s := testSealer(t, time.Hour, keyA)
	ex := initializeExchange(t, "alice", "agent-1", initParams)
	sealed, err := s.seal(newState(ex, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed.id, sealed.handle+".") || sessionHandle(sealed.id) != sealed.handle || len(sealed.handle) != len(sessionIDPrefix)+32 {
		t.Fatalf("id %q handle %q", sealed.id, sealed.handle)
	}
	for _, c := range sealed.id {
		if c < 0x21 || c > 0x7e {
			t.Fatalf("id has a character outside visible ASCII: %q", c)
		}
	}
	got, err := s.open(sealed.id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ownedBy(ex) {
		t.Fatal("the session is not bound to the principal that created it")
	}
	st := got.sdkState()
	if st.NegotiatedProtocolVersion != "2025-06-18" || st.InitializeParams.ClientInfo.Name != "agent" ||
		st.InitializeParams.ClientInfo.Title != "An agent" || !st.InitializeParams.Capabilities.Roots.ListChanged || st.InitializedParams != nil {
		t.Fatalf("adopted state %+v params %+v", st, st.InitializeParams)
	}
	for _, other := range []policy.Principal{{Subject: "alice", Client: "agent-2"}, {Subject: "mallory", Client: "agent-1"}, {Subject: "alice\x00agent-1"}} {
		ox := newExchange(transportHTTP)
		ox.principal = other
		if got.ownedBy(ox) {
			t.Errorf("session of alice/agent-1 owned by %+v", other)
		}
	}
}

// TestSessionIDNegotiation: the sealed version is the one the SDK answers
// initialize with: the client's when supported, else the newest
// session-era version; never 2026-07-28 (stateless).
func TestSessionIDNegotiation(t *testing.T) {
	for requested, want := range map[string]string{
		"2025-11-25": "2025-11-25", "2025-03-26": "2025-03-26", "2024-11-05": "2024-11-05",
		"2026-07-28": "2025-11-25", "1999-01-01": "2025-11-25", "": "2025-11-25",
	} {
		if got := negotiate(requested); got != want {
			t.Errorf("negotiate(%q) = %q, want %q", requested, got, want)
		}
	}
}

// TestSessionIDCaps: client info and capabilities are capped, so the id
// stays within its size cap whatever the client sends.
func TestSessionIDCaps(t *testing.T) {
	huge := strings.Repeat("é", 5000)
	exp, _ := json.Marshal(map[string]any{"x": huge})
	params := `{"protocolVersion":"2025-11-25","capabilities":{"roots":{"listChanged":true},"experimental":` + string(exp) +
		`},"clientInfo":{"name":"` + huge + `","version":"` + huge + `","title":"` + huge + `","websiteUrl":"https://` + huge + `"}}`
	s := testSealer(t, time.Hour, keyA)
	sealed, err := s.seal(newState(initializeExchange(t, strings.Repeat("s", 10000), strings.Repeat("c", 10000), params), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed.id) > 600 {
		t.Fatalf("id of %d bytes for a huge client", len(sealed.id))
	}
	got, err := s.open(sealed.id)
	if err != nil {
		t.Fatal(err)
	}
	ci := got.state.Client
	if len(ci.Name) > maxClientField || len(ci.Version) > maxClientField || ci.WebsiteURL != "" || !strings.HasPrefix(huge, ci.Name) {
		t.Fatalf("client info not capped: %d %d %q", len(ci.Name), len(ci.Version), ci.WebsiteURL)
	}
	if !got.sdkState().InitializeParams.Capabilities.Roots.ListChanged || got.sdkState().InitializeParams.Capabilities.Experimental != nil {
		t.Fatalf("capabilities: %s", got.state.Caps)
	}
}

// TestSessionIDHostile: every id that was not sealed by this deployment,
// changed in any way, expired or malformed is refused, and the reason is
// one of the declared causes.
func TestSessionIDHostile(t *testing.T) {
	now := time.Now()
	a := testSealer(t, time.Hour, keyA)
	b := testSealer(t, time.Hour, keyB)
	st := newState(initializeExchange(t, "alice", "agent-1", initParams), now)
	good, err := a.seal(st)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := b.seal(st)
	old := st
	old.Issued = now.Add(-2 * time.Hour).Unix()
	expired, _ := a.seal(old)
	future := st
	future.Issued = now.Add(time.Hour).Unix()
	ahead, _ := a.seal(future)
	handle, ct, _ := strings.Cut(strings.TrimPrefix(good.id, sessionIDPrefix), ".")
	flip := func(s string, i int) string {
		r := []byte(s)
		if r[i] == 'A' {
			r[i] = 'B'
		} else {
			r[i] = 'A'
		}
		return string(r)
	}
	otherNonce := base64.RawURLEncoding.EncodeToString(make([]byte, 24))
	raw, _ := base64.RawURLEncoding.DecodeString(ct)
	cut := base64.RawURLEncoding.EncodeToString(raw[:len(raw)-3])
	for _, tc := range []struct {
		name string
		id   string
		want error
	}{
		{"another deployment's key", foreign.id, errSessionUnsealed},
		{"ciphertext bit flipped", sessionIDPrefix + handle + "." + flip(ct, 10), errSessionUnsealed},
		{"tag bit flipped", sessionIDPrefix + handle + "." + flip(ct, len(ct)-2), errSessionUnsealed},
		{"nonce changed", sessionIDPrefix + flip(handle, 3) + "." + ct, errSessionUnsealed},
		{"nonce of another session", sessionIDPrefix + otherNonce + "." + ct, errSessionUnsealed},
		{"ciphertext cut", sessionIDPrefix + handle + "." + cut, errSessionUnsealed},
		{"ciphertext and tag removed", sessionIDPrefix + handle + ".", errSessionUnsealed},
		{"expired", expired.id, errSessionExpired},
		{"issued in the future", ahead.id, errSessionMalformed},
		{"empty", "", errSessionMalformed},
		{"SDK-style random id", "K4ZQ3V7YF5S2OBYX6VQ2M6SOBB", errSessionMalformed},
		{"other version prefix", "tg2." + handle + "." + ct, errSessionMalformed},
		{"no ciphertext", sessionIDPrefix + handle, errSessionMalformed},
		{"padding added", good.id + "=", errSessionMalformed},
		{"standard base64", strings.ReplaceAll(strings.ReplaceAll(good.id, "-", "+"), "_", "/") + "+", errSessionMalformed},
		{"short nonce", sessionIDPrefix + handle[:20] + "." + ct, errSessionMalformed},
		{"over the size cap", sessionIDPrefix + handle + "." + ct + strings.Repeat("A", maxSessionID), errSessionMalformed},
		{"control characters", sessionIDPrefix + handle + ".\x00" + ct, errSessionMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := a.open(tc.id); !errors.Is(err, tc.want) {
				t.Fatalf("open: %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := a.open(good.id); err != nil {
		t.Fatalf("the untouched id: %v", err)
	}
}

// TestSessionIDKeyRotation: after rotating (the old key becomes the
// previous one), ids sealed with it open until their lifetime ends; new
// ids are sealed with the new key, which the old deployment cannot open.
func TestSessionIDKeyRotation(t *testing.T) {
	before := testSealer(t, time.Hour, keyA)
	after := testSealer(t, time.Hour, keyB, keyA)
	issued := time.Now()
	old, _ := before.seal(newState(initializeExchange(t, "alice", "c", initParams), issued))
	if _, err := after.open(old.id); err != nil {
		t.Fatalf("an id of the previous key within its lifetime: %v", err)
	}
	after.now = func() time.Time { return issued.Add(time.Hour + time.Second) }
	if _, err := after.open(old.id); !errors.Is(err, errSessionExpired) {
		t.Fatalf("an id of the previous key after one lifetime: %v", err)
	}
	fresh, _ := after.seal(newState(initializeExchange(t, "alice", "c", initParams), time.Now()))
	if _, err := before.open(fresh.id); !errors.Is(err, errSessionUnsealed) {
		t.Fatalf("the new key's id opened with the old key only: %v", err)
	}
}

// FuzzSessionIDOpen: whatever a client sends as Mcp-Session-Id, open never
// panics, and it succeeds only for the exact id that was sealed (AEAD
// integrity: no change to an id yields another valid session).
func FuzzSessionIDOpen(f *testing.F) {
	s := testSealer(f, 0, keyA)
	s.nonces = strings.NewReader(strings.Repeat("n", 24)) // the same id in every fuzz worker
	sealed, err := s.seal(newState(initializeExchange(f, "alice", "agent-1", initParams), time.Unix(1.7e9, 0)))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.open(sealed.id); err != nil {
		f.Fatalf("the sealed id does not open: %v", err)
	}
	f.Add(sealed.id)
	f.Add(sealed.id[:40])
	f.Add(sessionIDPrefix + "." + ".")
	f.Add("tg1.AAAA.AAAA")
	f.Fuzz(func(t *testing.T, id string) {
		got, err := s.open(id)
		if err == nil && (id != sealed.id || got.handle != sealed.handle) {
			t.Fatalf("a changed id opened: %q", id)
		}
		if err == nil && !got.ownedBy(initializeExchange(t, "alice", "agent-1", initParams)) {
			t.Fatal("opened to another owner")
		}
		_ = sessionHandle(id)
	})
}
