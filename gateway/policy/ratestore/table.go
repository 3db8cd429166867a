package ratestore

import (
	"math"
	"math/bits"
)

// table is an open-addressing hash table from a 64-bit hash to an int64,
// 16 bytes a slot: linear probing, a slot's home is the multiply-shift
// reduction of the hash onto any capacity (Lemire, "A fast alternative to
// the modulo reduction", 2016), so the table grows by half instead of
// doubling and stays 53-80% full (~20-30 bytes an entry, against ~38 for a
// Go map of the same size, whose power-of-two tables sit near half full).
// Deletion shifts the following entries back (Knuth, TAOCP vol. 3, 6.4,
// algorithm R), so there are no tombstones. Key 0 marks an empty slot; the
// caller never stores it. Not safe for concurrent use.
type table struct {
	slots []slot
	n     int // occupied slots
	limit int // capacity never exceeds what limit entries need
}

type slot struct {
	key uint64
	val int64
}

const (
	loadNum, loadDen = 4, 5 // grow past 80% full
	minCapacity      = 16
)

func newTable(limit int) table { return table{limit: max(limit, 1)} }

func (t *table) home(key uint64) int {
	hi, _ := bits.Mul64(key, uint64(len(t.slots)))
	return int(hi)
}

func (t *table) next(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

// find returns the slot index holding key, or -1.
func (t *table) find(key uint64) int {
	if t.n == 0 {
		return -1
	}
	for i := t.home(key); ; i = t.next(i) {
		switch t.slots[i].key {
		case key:
			return i
		case 0:
			return -1
		}
	}
}

func (t *table) get(key uint64) (int64, bool) {
	if i := t.find(key); i >= 0 {
		return t.slots[i].val, true
	}
	return 0, false
}

// set stores val under key, growing the table when needed.
func (t *table) set(key uint64, val int64) {
	if i := t.find(key); i >= 0 {
		t.slots[i].val = val
		return
	}
	if t.needsRoom() {
		t.rebuild(t.grown(), math.MinInt64)
	}
	i := t.home(key)
	for t.slots[i].key != 0 {
		i = t.next(i)
	}
	t.slots[i] = slot{key, val}
	t.n++
}

// needsRoom reports whether one more entry would pass the load bound.
func (t *table) needsRoom() bool { return (t.n+1)*loadDen > len(t.slots)*loadNum }

// canGrow reports whether the table is below the capacity its limit needs.
func (t *table) canGrow() bool { return len(t.slots) < t.limit*loadDen/loadNum+1 }

// grown is the next capacity: half again, at most what limit entries need.
func (t *table) grown() int {
	capacity := max(minCapacity, len(t.slots)+len(t.slots)/2)
	if most := t.limit*loadDen/loadNum + 1; capacity > most {
		capacity = max(most, len(t.slots)+1)
	}
	return capacity
}

// dropUpTo removes every entry whose value is at most cutoff, in place
// when that frees at least a fifth of the capacity, else into a grown table.
// Called only when the table would grow, so its O(capacity) cost is spread
// over at least capacity/5 inserts.
func (t *table) dropUpTo(cutoff int64) {
	live := 0
	for _, s := range t.slots {
		if s.key != 0 && s.val > cutoff {
			live++
		}
	}
	if (live+1)*loadDen > len(t.slots)*(loadNum-1) {
		t.rebuild(t.grown(), cutoff)
		return
	}
	// Deleting at i may shift a later entry (or, at the end, one from the
	// start) into i: look at i again before moving on.
	for i := 0; i < len(t.slots); {
		if s := t.slots[i]; s.key != 0 && s.val <= cutoff {
			t.delAt(i)
			continue
		}
		i++
	}
}

// rebuild moves the entries whose value is above cutoff into a table of
// the given capacity.
func (t *table) rebuild(capacity int, cutoff int64) {
	old := t.slots
	t.slots, t.n = make([]slot, capacity), 0
	for _, s := range old {
		if s.key != 0 && s.val > cutoff {
			i := t.home(s.key)
			for t.slots[i].key != 0 {
				i = t.next(i)
			}
			t.slots[i] = s
			t.n++
		}
	}
}

// del removes key.
func (t *table) del(key uint64) {
	if i := t.find(key); i >= 0 {
		t.delAt(i)
	}
}

// delAt empties slot i, shifting back the entries of its probe run that
// would otherwise become unreachable.
func (t *table) delAt(i int) {
	t.slots[i] = slot{}
	t.n--
	for j := t.next(i); t.slots[j].key != 0; j = t.next(j) {
		h := t.home(t.slots[j].key)
		// The entry at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if (i <= j && (h <= i || h > j)) || (i > j && h <= i && h > j) {
			t.slots[i], t.slots[j] = t.slots[j], slot{}
			i = j
		}
	}
}

// sample returns up to len(out) occupied entries found from a position
// derived from seed (a random hash): it scans 4×len(out) slots, or on until
// it has found one entry, so it returns at least one when the table holds any.
func (t *table) sample(seed uint64, out []slot) int {
	if t.n == 0 {
		return 0
	}
	k, i := 0, int(seed%uint64(len(t.slots)))
	for scanned := 0; k < len(out) && (k == 0 || scanned < 4*len(out)); scanned++ {
		if s := t.slots[i]; s.key != 0 {
			out[k] = s
			k++
		}
		i = t.next(i)
	}
	return k
}
