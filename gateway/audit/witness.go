package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNoLogID is returned by [VerifyFiles] with a witness for files written
// before logs had ids (and checkpoints were published): no witness knows
// them.
var ErrNoLogID = errors.New("audit: the files carry no log id (written before checkpoints were published); a witness cannot vouch for them")

// WitnessedCheckpoint is a checkpoint as the witness recorded it (the
// attributes of a [CheckpointSpanName] span).
type WitnessedCheckpoint struct {
	Log     string    `json:"log"`
	Seq     uint64    `json:"seq"` // seq of the last record covered (the checkpoint's count)
	Head    string    `json:"head"`
	Hash    string    `json:"hash"`
	Prev    string    `json:"prev"`
	Time    string    `json:"time"` // the checkpoint's time member, as written
	KeyID   string    `json:"key_id"`
	MACKey  string    `json:"mac_key,omitempty"`
	Sig     string    `json:"sig"`
	SegHash string    `json:"segment_line"`
	Segment int       `json:"segment"`
	File    string    `json:"file"`
	Replica string    `json:"replica,omitempty"`
	TraceID string    `json:"trace_id,omitempty"`
	Seen    time.Time `json:"seen"` // the span's start time
}

// Witness is an independent store of published checkpoints: the trace
// backend (the search package implements it for Jaeger). It must keep
// them longer than the files are kept: an in-memory backend witnesses only
// while it runs.
type Witness interface {
	// After returns the checkpoints of log that follow the checkpoint with
	// hash prev (their prev_checkpoint is prev); for prev "" every
	// checkpoint of the log.
	After(ctx context.Context, log, prev string) ([]WitnessedCheckpoint, error)
}

// checkpoint rebuilds the checkpoint line the witness saw.
func (c WitnessedCheckpoint) checkpoint() wireCheckpoint {
	return wireCheckpoint{Type: lineCheckpoint, Count: c.Seq, Head: c.Head, Prev: c.Prev, Time: c.Time,
		KeyID: c.KeyID, Log: c.Log, MACKey: c.MACKey, Segment: c.SegHash, Sig: c.Sig, Hash: c.Hash}
}

// consultWitness asks the witness for checkpoints after the file's last
// one. One with a valid signature (when pub is known) means the file lost
// records: a [Truncated] finding.
func consultWitness(ctx context.Context, wit Witness, pub ed25519.PublicKey, log, lastCP string, rep *Report) error {
	if log == "" {
		return ErrNoLogID
	}
	later, err := wit.After(ctx, log, lastCP)
	if err != nil {
		return fmt.Errorf("audit: witness: %w", err)
	}
	rep.Witnessed = len(later)
	for _, c := range later {
		if c.Prev != lastCP || c.Log != log {
			continue
		}
		if err := verifyCheckpoint(c.checkpoint(), pub); err != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("the witness holds a checkpoint (seq %d) that does not verify, ignored: %v", c.Seq, err))
			continue
		}
		rep.Findings = append(rep.Findings, Finding{Kind: Truncated, File: c.File, Seq: c.Seq,
			Detail: fmt.Sprintf("the witness holds checkpoint seq %d (head %.16s…, segment %d, %s) after the file's last checkpoint; the file ends at record %d: records were cut off",
				c.Seq, c.Head, c.Segment, c.Time, rep.Records)})
		return nil
	}
	return nil
}

// CheckpointFromAttributes reads a [CheckpointSpanName] span's attributes,
// given as their string forms (as Jaeger renders tags), back into the
// checkpoint. It fails when one is missing or malformed.
func CheckpointFromAttributes(get func(key string) (string, bool)) (WitnessedCheckpoint, error) {
	var c WitnessedCheckpoint
	var missing []string
	str := func(key string, dst *string) {
		v, ok := get(key)
		if !ok {
			missing = append(missing, key)
		}
		*dst = v
	}
	var seq, seg string
	str(AttrLogID, &c.Log)
	str(AttrCheckpointSeq, &seq)
	str(AttrCheckpointHead, &c.Head)
	str(AttrCheckpointHash, &c.Hash)
	c.Prev, _ = get(AttrCheckpointPrev) // empty for the first checkpoint

	str(AttrCheckpointTime, &c.Time)
	str(AttrCheckpointKeyID, &c.KeyID)
	str(AttrCheckpointSig, &c.Sig)
	c.MACKey, _ = get(AttrMACKeyID) // empty when unkeyed
	str(AttrSegmentIndex, &seg)
	str(AttrSegmentFile, &c.File)
	c.Replica, _ = get(AttrReplicaID)
	c.SegHash, _ = get(AttrCheckpointSeg)
	if len(missing) > 0 {
		return c, fmt.Errorf("audit: checkpoint span lacks %s", strings.Join(missing, ", "))
	}
	var err error
	if c.Seq, err = strconv.ParseUint(seq, 10, 64); err != nil {
		return c, fmt.Errorf("audit: checkpoint span %s: %w", AttrCheckpointSeq, err)
	}
	if c.Segment, err = strconv.Atoi(seg); err != nil {
		return c, fmt.Errorf("audit: checkpoint span %s: %w", AttrSegmentIndex, err)
	}
	return c, nil
}
