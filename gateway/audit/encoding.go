package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Line types of an audit file (the "type" member, always first).
const (
	lineRecord     = "record"
	lineCheckpoint = "checkpoint"
	lineSegment    = "segment"
)

// wireRecord is the JSON Lines form of a record. Field order is the canonical
// order: encoding/json writes struct fields in declaration order, so the
// encoding is deterministic. Do not reorder fields: it changes every hash.
type wireRecord struct {
	Type            string   `json:"type"`
	Seq             uint64   `json:"seq"`
	ID              string   `json:"id"`
	Kind            Kind     `json:"kind"`
	Phase           Phase    `json:"phase,omitempty"`
	IntentRef       string   `json:"intent_ref,omitempty"`
	Time            string   `json:"time"`
	TraceID         string   `json:"trace_id,omitempty"`
	SpanID          string   `json:"span_id,omitempty"`
	Transport       string   `json:"transport,omitempty"`
	ProtocolVersion string   `json:"protocol_version,omitempty"`
	SessionID       string   `json:"session_id,omitempty"`
	JSONRPCID       string   `json:"jsonrpc_id,omitempty"`
	Method          string   `json:"method,omitempty"`
	Tool            string   `json:"tool,omitempty"`
	Service         string   `json:"service,omitempty"`
	Endpoint        string   `json:"endpoint,omitempty"`
	Subject         string   `json:"subject,omitempty"`
	Client          string   `json:"client,omitempty"`
	Peer            string   `json:"peer,omitempty"`
	IntentID        string   `json:"intent_id,omitempty"`
	RequiredScopes  []string `json:"required_scopes,omitempty"`
	GrantedScopes   []string `json:"granted_scopes,omitempty"`
	ScopeSource     string   `json:"scope_source,omitempty"`
	Decision        Decision `json:"decision,omitempty"`
	Reason          Reason   `json:"reason,omitempty"`
	RateLimit       string   `json:"rate_limit,omitempty"`
	ArgsDigest      string   `json:"args_digest,omitempty"`
	Args            string   `json:"args,omitempty"`
	ArgsTruncated   bool     `json:"args_truncated,omitempty"`
	Outcome         Outcome  `json:"outcome,omitempty"`
	ErrorType       string   `json:"error_type,omitempty"`
	DurationNS      int64    `json:"duration_ns,omitempty"`
	PolicyVersion   string   `json:"policy_version,omitempty"`
	PolicyHash      string   `json:"policy_hash,omitempty"`
	PolicyBefore    string   `json:"policy_before,omitempty"`
	Change          string   `json:"change,omitempty"`
	Dropped         uint64   `json:"dropped,omitempty"`
	TruncFile       string   `json:"truncated_file,omitempty"`
	TruncOffset     int64    `json:"truncated_offset,omitempty"`
	TruncBytes      int64    `json:"truncated_bytes,omitempty"`
	TruncSHA256     string   `json:"truncated_sha256,omitempty"`
	CrashSeq        uint64   `json:"crash_seq,omitempty"`
	TailRecords     uint64   `json:"tail_records,omitempty"`
	TailHead        string   `json:"tail_head,omitempty"`
	TailMAC         bool     `json:"tail_mac_verified,omitempty"`
	PrevHash        string   `json:"prev_hash"`
	MAC             string   `json:"mac,omitempty"`
	Hash            string   `json:"hash"`
}

// wireCheckpoint is a signed checkpoint line. Sig is Ed25519 over the
// canonical encoding with Sig and Hash empty; Hash is SHA-256 over the
// canonical encoding with Hash empty (so it covers Sig). Log and MACKey
// (absent in files written before the chain was keyed) name the log and the
// MAC key id of the records it covers, so the signature also pins that the
// chain is keyed; Segment is the SHA-256 of the segment line of the file it
// is in, so the signature covers that line too.
type wireCheckpoint struct {
	Type    string `json:"type"`
	Count   uint64 `json:"count"`
	Head    string `json:"head"`
	Prev    string `json:"prev_checkpoint"`
	Time    string `json:"time"`
	KeyID   string `json:"key_id"`
	Log     string `json:"log,omitempty"`
	MACKey  string `json:"mac_key,omitempty"`
	Segment string `json:"segment,omitempty"`
	Sig     string `json:"sig"`
	Hash    string `json:"hash"`
}

// wireSegment is the first line of every audit file: the chain state at the
// point the file starts (empty head and count 0 for the genesis file), the
// log's random id (carried from file to file) and the id of the MAC key
// that keys this file's records (empty: unkeyed).
type wireSegment struct {
	Type       string `json:"type"`
	Index      int    `json:"index"`
	Time       string `json:"time"`
	PrevFile   string `json:"prev_file,omitempty"`
	Count      uint64 `json:"count"`
	Head       string `json:"head"`
	Checkpoint string `json:"checkpoint"`
	Log        string `json:"log,omitempty"`
	MACKey     string `json:"mac_key,omitempty"`
}

var errNotCanonical = errors.New("line is not in canonical form")

// encodeLine marshals v as one JSON line without HTML escaping.
func encodeLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("audit: encode line: %w", err)
	}
	return buf.Bytes(), nil // Encode appends exactly one '\n'
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// recordHash is the SHA-256 of the record's canonical encoding: its JSON line
// (without the newline) with "hash" set to "" (so it covers "mac").
func recordHash(w wireRecord) (string, error) {
	w.Hash = ""
	b, err := encodeLine(w)
	if err != nil {
		return "", err
	}
	return sha256Hex(b[:len(b)-1]), nil
}

// lineType reads the "type" member of a line.
func lineType(line []byte) (string, error) {
	var t struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &t); err != nil {
		return "", fmt.Errorf("audit: invalid JSON: %w", err)
	}
	return t.Type, nil
}

// decodeStrict decodes line into v, refusing unknown members, and checks
// that re-encoding gives the same bytes (no duplicate keys, reordering or
// whitespace changes). line excludes the newline.
func decodeStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("audit: decode line: %w", err)
	}
	again, err := encodeLine(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(again[:len(again)-1], line) {
		return errNotCanonical
	}
	return nil
}
