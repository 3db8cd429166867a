package audit

import "context"

// Head is the state of the hash chain: the number of records and the hash
// of the last one (empty at genesis).
type Head struct {
	Count uint64
	Hash  string
}

// seal places r after h: it sets Seq, PrevHash, MAC (with a key) and Hash.
func (h Head) seal(r Record, k *macKey) (Record, error) {
	r.w.Seq = h.Count + 1
	r.w.PrevHash = h.Hash
	r.w.MAC = ""
	if k != nil {
		mac, err := k.sum(r.w)
		if err != nil {
			return Record{}, err
		}
		r.w.MAC = mac
	}
	hash, err := recordHash(r.w)
	if err != nil {
		return Record{}, err
	}
	r.w.Hash = hash
	return r, nil
}

func (r Record) head() Head { return Head{Count: r.w.Seq, Hash: r.w.Hash} }

// chainWriter owns the chain: it seals records in order and persists them.
// sync asks for the record to be on stable storage before returning. Err is
// nil while records can be written, else why not; Recover tries to make
// writing possible again.
type chainWriter interface {
	Append(r Record, sync bool) (Record, error)
	Head() Head
	Err() error
	Recover() error
	Close() error
}

// memChain numbers records without persisting them (no file configured).
// It does not hash them: a chain nothing persists proves nothing, and
// hashing each record would cost every call an encoding and a SHA-256.
type memChain struct{ head Head }

func (m *memChain) Append(r Record, _ bool) (Record, error) {
	r.w.Seq = m.head.Count + 1
	m.head.Count = r.w.Seq
	return r, nil
}

func (m *memChain) Head() Head     { return m.head }
func (m *memChain) Err() error     { return nil }
func (m *memChain) Recover() error { return nil }
func (m *memChain) Close() error   { return nil }

// Sink receives every sealed record, in chain order, after the chain writer
// persisted it. In strict and blocking modes Write runs before the call is
// answered and an error fails the audit; in batch mode it runs on the
// writer goroutine.
type Sink interface {
	Write(ctx context.Context, r Record) error
}

// SinkFunc adapts a function to [Sink].
type SinkFunc func(ctx context.Context, r Record) error

// Write calls f.
func (f SinkFunc) Write(ctx context.Context, r Record) error { return f(ctx, r) }
