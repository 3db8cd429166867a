package gateway

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/crypto/chacha20poly1305"
)

// A 2025-11-25 session id is the session's state sealed with a key the
// replicas share, so any replica can adopt a session it has never seen:
//
//	tg1.<nonce>.<ciphertext>   (base64url without padding)
//
// The ciphertext is XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) over the
// JSON of [sessionState], with the prefix "tg1." and the nonce as
// additional data. "tg1.<nonce>" is the session's handle: unique, public,
// what the shared store, spans and audit records name the session by. The
// id only uses base64url characters, visible ASCII as MCP requires of
// Mcp-Session-Id (2025-11-25, basic/transports §Session Management).
const (
	sessionIDPrefix = "tg1."
	// maxSessionID caps an id (and what is parsed of a client's header).
	maxSessionID = 2048
	// maxClientField caps each clientInfo member kept in the id (bytes).
	maxClientField = 64
	// maxClientCaps caps the client capabilities kept in the id (JSON bytes).
	maxClientCaps = 512
	// sessionClockSkew tolerates an issue time this far in the future (a
	// replica whose clock runs ahead).
	sessionClockSkew = time.Minute
	// sessionKeyBytes is the size of the random key of a replica without a
	// key file.
	sessionKeyBytes = 32
)

// Why a session id is refused (never told to the client, which gets 404
// "session not found" for each; recorded on the span).
var (
	errSessionMalformed = errors.New("not a session id of this gateway")
	errSessionUnsealed  = errors.New("does not open with the session keys (another deployment's key, or tampered)")
	errSessionExpired   = errors.New("older than the session lifetime")
	errSessionForeign   = errors.New("bound to another principal")
	errSessionEnded     = errors.New("ended (deleted or idle) or unknown to the session store")
)

// ErrSessionKey is returned for session key files that cannot be used.
var ErrSessionKey = errors.New("gateway: sessions: unusable session key")

// sessionState is what a session id carries. Owner and Subject are
// truncated SHA-256 hashes: the binding needs equality only, and the id
// stays small whatever the token's subject.
type sessionState struct {
	Version string             `json:"v"`           // negotiated protocol version
	Client  mcp.Implementation `json:"c"`           // name, title, version, capped
	Caps    json.RawMessage    `json:"k,omitempty"` // client capabilities, capped
	Owner   []byte             `json:"o"`           // hash of the principal (subject and client)
	Subject []byte             `json:"s"`           // hash of the subject (per-subject caps)
	Issued  int64              `json:"t"`           // unix seconds
}

// openSession is a session id that opened: the id, its handle and state.
type openSession struct {
	id, handle string
	state      sessionState
}

// subjectKey names the session's subject in the store.
func (s *openSession) subjectKey() string {
	return base64.RawURLEncoding.EncodeToString(s.state.Subject)
}

// sdkState is the already-initialized SDK state a replica adopts the
// session with. InitializedParams stays nil: a notifications/initialized
// that reaches this replica later is then accepted, and the SDK's gate
// for calls needs only InitializeParams.
func (s *openSession) sdkState() *mcp.ServerSessionState {
	client := s.state.Client
	p := &mcp.InitializeParams{ProtocolVersion: s.state.Version, ClientInfo: &client, Capabilities: &mcp.ClientCapabilities{}}
	if len(s.state.Caps) > 0 {
		_ = json.Unmarshal(s.state.Caps, p.Capabilities) // sealed by us from a decoded value
	}
	return &mcp.ServerSessionState{InitializeParams: p, NegotiatedProtocolVersion: s.state.Version, LogLevel: "info"}
}

// sealer seals and opens session ids. The current key seals; the previous
// one (key rotation) still opens ids, which expire one session lifetime
// after they were issued, so it can be dropped a lifetime after rotating.
type sealer struct {
	keys     []cipher.AEAD // current first
	lifetime time.Duration // 0: no limit
	now      func() time.Time
	nonces   io.Reader // crypto/rand.Reader
}

// newSealer derives the AEAD keys from the key files' secrets (HKDF-SHA256,
// RFC 5869); with no secret a random key is used (one replica only).
func newSealer(lifetime time.Duration, secrets ...[]byte) (*sealer, error) {
	s := &sealer{lifetime: lifetime, now: time.Now, nonces: rand.Reader}
	if len(secrets) == 0 || secrets[0] == nil {
		random := make([]byte, sessionKeyBytes)
		_, _ = rand.Read(random) // crypto/rand.Read never fails (Go 1.24+)
		secrets = [][]byte{random}
	}
	for _, secret := range secrets {
		if secret == nil {
			continue
		}
		key, err := hkdf.Key(sha256.New, secret, nil, "tracegate mcp session id v1", chacha20poly1305.KeySize)
		if err != nil {
			return nil, fmt.Errorf("gateway: sessions: derive key: %w", err)
		}
		aead, err := chacha20poly1305.NewX(key)
		if err != nil {
			return nil, fmt.Errorf("gateway: sessions: %w", err)
		}
		s.keys = append(s.keys, aead)
	}
	return s, nil
}

// newState is the state of a session ex's initialize is about to create.
func newState(ex *exchange, now time.Time) sessionState {
	var p mcp.InitializeParams
	if ex.msg != nil && len(ex.msg.Params) > 0 {
		_ = json.Unmarshal(ex.msg.Params, &p) // the SDK answers malformed params itself
	}
	st := sessionState{Version: negotiate(p.ProtocolVersion), Owner: digest(ex.principalKey()),
		Subject: digest(ex.principal.Subject), Issued: now.Unix()}
	if ci := p.ClientInfo; ci != nil {
		st.Client = mcp.Implementation{Name: capString(ci.Name, maxClientField),
			Title: capString(ci.Title, maxClientField), Version: capString(ci.Version, maxClientField)}
	}
	st.Caps = capCapabilities(p.Capabilities)
	return st
}

// negotiate is the version the SDK answers an initialize with (the
// client's when supported, else the newest session-era one).
func negotiate(requested string) string {
	supported := mcp.SupportedProtocolVersions()
	if requested < statelessEra && slices.Contains(supported, requested) {
		return requested
	}
	for _, v := range supported {
		if v < statelessEra {
			return v
		}
	}
	return requested
}

// capCapabilities keeps the client capabilities within maxClientCaps:
// whole, else without experimental and extension members, else none.
func capCapabilities(c *mcp.ClientCapabilities) json.RawMessage {
	if c == nil {
		return nil
	}
	b, err := json.Marshal(c)
	if err == nil && len(b) <= maxClientCaps {
		return b
	}
	small := *c
	small.Experimental, small.Extensions = nil, nil
	if b, err = json.Marshal(&small); err == nil && len(b) <= maxClientCaps {
		return b
	}
	return nil
}

func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:16]
}

// seal makes the id of a new session with state st.
func (s *sealer) seal(st sessionState) (*openSession, error) {
	plain, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("gateway: sessions: seal: %w", err)
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(s.nonces, nonce); err != nil {
		return nil, fmt.Errorf("gateway: sessions: nonce: %w", err)
	}
	handle := sessionIDPrefix + base64.RawURLEncoding.EncodeToString(nonce)
	ct := s.keys[0].Seal(nil, nonce, plain, []byte(handle))
	id := handle + "." + base64.RawURLEncoding.EncodeToString(ct)
	if len(id) > maxSessionID {
		return nil, fmt.Errorf("gateway: sessions: sealed id of %d bytes exceeds %d", len(id), maxSessionID)
	}
	return &openSession{id: id, handle: handle, state: st}, nil
}

// open checks id and returns its session: sealed by a current or previous
// key, within its lifetime, issued no later than now (plus skew).
func (s *sealer) open(id string) (*openSession, error) {
	if len(id) > maxSessionID || !strings.HasPrefix(id, sessionIDPrefix) {
		return nil, errSessionMalformed
	}
	nonceText, ctText, ok := strings.Cut(id[len(sessionIDPrefix):], ".")
	if !ok {
		return nil, errSessionMalformed
	}
	nonce, err1 := base64.RawURLEncoding.Strict().DecodeString(nonceText)
	ct, err2 := base64.RawURLEncoding.Strict().DecodeString(ctText)
	if err1 != nil || err2 != nil || len(nonce) != chacha20poly1305.NonceSizeX {
		return nil, errSessionMalformed
	}
	handle := id[:len(sessionIDPrefix)+len(nonceText)]
	var plain []byte
	for _, k := range s.keys {
		if p, err := k.Open(nil, nonce, ct, []byte(handle)); err == nil {
			plain = p
			break
		}
	}
	if plain == nil {
		return nil, errSessionUnsealed
	}
	var st sessionState
	if err := json.Unmarshal(plain, &st); err != nil || len(st.Owner) == 0 {
		return nil, errSessionMalformed // sealed by us, so only a format change
	}
	issued, now := time.Unix(st.Issued, 0), s.now()
	switch {
	case issued.After(now.Add(sessionClockSkew)):
		return nil, errSessionMalformed
	case s.lifetime > 0 && now.Sub(issued) > s.lifetime:
		return nil, errSessionExpired
	}
	return &openSession{id: id, handle: handle, state: st}, nil
}

// sessionHandle is the handle of a session id ("tg1.<nonce>"), what spans
// and audit records name the session by; any other value is returned as
// it is.
// SessionHandle is the part of a 2025-11-25 session id (Mcp-Session-Id)
// that audit records and spans carry: "tg1." and the nonce, not the sealed
// state. Use it to find a client's session in the audit trail.
func SessionHandle(id string) string { return sessionHandle(id) }

func sessionHandle(id string) string {
	if rest, ok := strings.CutPrefix(id, sessionIDPrefix); ok {
		if nonce, _, ok := strings.Cut(rest, "."); ok {
			return id[:len(sessionIDPrefix)+len(nonce)]
		}
	}
	return id
}

// ownedBy tells whether the session is bound to ex's principal.
func (s *openSession) ownedBy(ex *exchange) bool {
	return bytes.Equal(s.state.Owner, digest(ex.principalKey()))
}
