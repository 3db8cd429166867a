package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Digester computes the arguments digest: hex HMAC-SHA256 under a key, so a
// digest cannot be brute-forced back to low-entropy arguments by someone
// who reads the audit log but lacks the key. It is safe for concurrent use.
type Digester struct {
	key []byte
}

// NewDigester returns a Digester for key. An empty key gets a random
// per-process key: digests then compare only within one process lifetime.
func NewDigester(key []byte) *Digester {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &Digester{key: bytes.Clone(key)}
}

// Digest returns hex(HMAC-SHA256(key, args)). Callers pass compact JSON.
func (d *Digester) Digest(args []byte) string {
	m := hmac.New(sha256.New, d.key)
	m.Write(args)
	return hex.EncodeToString(m.Sum(nil))
}

// compactJSON removes insignificant whitespace so that the digest does not
// depend on formatting; invalid JSON is digested as given.
func compactJSON(raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}
