package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// errBadSignature is wrapped by checkpoint verification failures.
var errBadSignature = errors.New("checkpoint signature invalid")

// newCheckpoint signs c (Count, Head, Prev, Log, MACKey and Segment set by
// the caller) at time now.
func newCheckpoint(key ed25519.PrivateKey, c wireCheckpoint, now time.Time) (wireCheckpoint, error) {
	c.Type, c.Time, c.KeyID, c.Sig, c.Hash = lineCheckpoint, now.UTC().Format(time.RFC3339Nano), KeyID(key.Public().(ed25519.PublicKey)), "", ""
	msg, err := encodeLine(c)
	if err != nil {
		return c, err
	}
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg[:len(msg)-1]))
	h, err := encodeLine(c)
	if err != nil {
		return c, err
	}
	c.Hash = sha256Hex(h[:len(h)-1])
	return c, nil
}

// checkCheckpointHash verifies that c's hash matches its content.
func checkCheckpointHash(c wireCheckpoint) error {
	withSig := c
	withSig.Hash = ""
	h, err := encodeLine(withSig)
	if err != nil {
		return err
	}
	if sha256Hex(h[:len(h)-1]) != c.Hash {
		return fmt.Errorf("%w: hash does not match content", errBadSignature)
	}
	return nil
}

// checkCheckpoint verifies c's hash and its signature under pub.
func checkCheckpoint(c wireCheckpoint, pub ed25519.PublicKey) error {
	if err := checkCheckpointHash(c); err != nil {
		return err
	}
	withSig := c
	withSig.Hash = ""
	if c.KeyID != KeyID(pub) {
		return fmt.Errorf("%w: signed by key %s, trusted key is %s", errBadSignature, c.KeyID, KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadSignature, err)
	}
	bare := withSig
	bare.Sig = ""
	msg, err := encodeLine(bare)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, msg[:len(msg)-1], sig) {
		return errBadSignature
	}
	return nil
}
