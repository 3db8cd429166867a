package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// MinMACKeyBytes is the shortest MAC key accepted (RFC 2104 §3: a key
// shorter than the hash output weakens the MAC).
const MinMACKeyBytes = 32

// MAC key errors.
var (
	ErrMACKeyTooShort = fmt.Errorf("audit: MAC key shorter than %d bytes", MinMACKeyBytes)
	// ErrMACKeyRequired: the log is keyed, and no MAC key was configured, so
	// its unsigned tail cannot be checked and new records could not be keyed.
	ErrMACKeyRequired = errors.New("audit: the audit log is MAC-keyed; configure its MAC key (audit.mac_key_file)")
	// ErrMACKeyMismatch: the log is keyed with another MAC key.
	ErrMACKeyMismatch = errors.New("audit: the audit log is keyed with another MAC key")
)

// macKeyIDLabel is what the key id is the HMAC of (the key itself is never
// hashed bare, so the id reveals nothing usable about it).
const macKeyIDLabel = "tracegate audit mac key id"

// macKey keys the chain: each record's "mac" member is the hex
// HMAC-SHA256 (RFC 2104) of its canonical encoding with "mac" and "hash"
// empty. The encoding holds prev_hash, and hash covers mac, so every MAC
// depends on every record before it.
type macKey struct {
	key []byte
	id  string
}

// newMACKey checks the length of key; nil or empty means unkeyed (nil).
func newMACKey(key []byte) (*macKey, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) < MinMACKeyBytes {
		return nil, fmt.Errorf("%w (%d bytes)", ErrMACKeyTooShort, len(key))
	}
	return &macKey{key: bytes.Clone(key), id: MACKeyID(key)}, nil
}

// sum returns the record's MAC.
func (k *macKey) sum(w wireRecord) (string, error) {
	w.MAC, w.Hash = "", ""
	b, err := encodeLine(w)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k.key)
	m.Write(b[:len(b)-1])
	return hex.EncodeToString(m.Sum(nil)), nil
}

// check reports whether w's MAC is right (constant time).
func (k *macKey) check(w wireRecord) bool {
	want, err := k.sum(w)
	return err == nil && hmac.Equal([]byte(want), []byte(w.MAC))
}

// keyID is the id of k, "" for an unkeyed chain.
func (k *macKey) keyID() string {
	if k == nil {
		return ""
	}
	return k.id
}

// MACKeyID names a MAC key in segment lines and checkpoints: the first 16
// hex characters of HMAC-SHA256(key, "tracegate audit mac key id").
func MACKeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(macKeyIDLabel))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// LoadMACKey reads a MAC key file: its bytes with surrounding whitespace
// removed are the key (at least [MinMACKeyBytes]). [GenerateMACKey] writes
// such a file's content.
func LoadMACKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: read MAC key: %w", err)
	}
	key := bytes.TrimSpace(b)
	if len(key) < MinMACKeyBytes {
		return nil, fmt.Errorf("%w: %s has %d", ErrMACKeyTooShort, path, len(key))
	}
	return key, nil
}

// GenerateMACKey returns a new MAC key file content: 32 random bytes as 64
// hex characters and a newline.
func GenerateMACKey() []byte {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return []byte(hex.EncodeToString(b[:]) + "\n")
}
