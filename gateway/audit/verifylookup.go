package audit

import "encoding/json"

// Look-ahead helpers of the verify walk.

// skippedUpTo reports whether the records from want to r.Seq-1 were all
// reported out of order earlier and r links to the last of them.
func (w *walker) skippedUpTo(want uint64, r wireRecord) bool {
	for s := want; s < r.Seq; s++ {
		if _, ok := w.skipped[s]; !ok {
			return false
		}
	}
	return w.skipped[r.Seq-1] == r.PrevHash
}

func (w *walker) appearsLater(i int, seq uint64) bool {
	for _, e := range w.ents[i+1:] {
		if e.isRec && e.rec.Seq == seq {
			return true
		}
	}
	return false
}

func (w *walker) nextRecord(i int) *wireRecord {
	for _, e := range w.ents[i+1:] {
		if e.isRec {
			var r wireRecord
			if json.Unmarshal(e.raw, &r) == nil {
				return &r
			}
		}
	}
	return nil
}
