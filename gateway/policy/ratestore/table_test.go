package ratestore

import "testing"

// checkTable compares t with the reference map and verifies that every
// entry is reachable from its home slot without crossing an empty slot.
func checkTable(tb testing.TB, tab *table, ref map[uint64]int64) {
	tb.Helper()
	if tab.n != len(ref) {
		tb.Fatalf("n = %d, reference holds %d", tab.n, len(ref))
	}
	for k, v := range ref {
		if got, ok := tab.get(k); !ok || got != v {
			tb.Fatalf("get(%#x) = %d, %v; want %d", k, got, ok, v)
		}
	}
	occupied := 0
	for i, s := range tab.slots {
		if s.key == 0 {
			continue
		}
		occupied++
		if _, ok := ref[s.key]; !ok {
			tb.Fatalf("slot %d holds deleted key %#x", i, s.key)
		}
		for j := tab.home(s.key); j != i; j = tab.next(j) {
			if tab.slots[j].key == 0 {
				tb.Fatalf("key %#x at %d is cut off from its home %d by an empty slot at %d", s.key, i, tab.home(s.key), j)
			}
		}
	}
	if occupied != tab.n {
		tb.Fatalf("%d occupied slots, n = %d", occupied, tab.n)
	}
}

// runOps plays a byte string as table operations against a Go map. Keys
// come from a small space (and some near the top of the range, whose home
// is the last slot) so runs collide, wrap around and get deleted from.
func runOps(tb testing.TB, limit int, ops []byte) {
	tab := newTable(limit)
	ref := map[uint64]int64{}
	for i := 0; i+2 < len(ops); i += 3 {
		k := uint64(ops[i+1]%48) + 1
		if ops[i+1]&0x40 != 0 {
			k = ^uint64(0) - uint64(ops[i+1]%8) // home at the end: wraps
		}
		switch ops[i] % 5 {
		case 4:
			cutoff := int64(ops[i+2] % 64)
			tab.dropUpTo(cutoff)
			for k, v := range ref {
				if v <= cutoff {
					delete(ref, k)
				}
			}
		case 0, 1:
			if len(ref) < limit || ref[k] != 0 {
				v := int64(ops[i+2]) + 1
				tab.set(k, v)
				ref[k] = v
			}
		case 2, 3:
			tab.del(k)
			delete(ref, k)
		}
		checkTable(tb, &tab, ref)
	}
}

func TestTableMatchesMap(t *testing.T) {
	ops := make([]byte, 0, 3*4000)
	x := uint64(0x9E3779B97F4A7C15)
	for range 4000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		ops = append(ops, byte(x), byte(x>>8), byte(x>>16))
	}
	for _, limit := range []int{1, 3, 17, 40, 1000} {
		runOps(t, limit, ops)
	}
}

func TestTableBoundedCapacity(t *testing.T) {
	tab := newTable(100)
	for k := uint64(1); k <= 100; k++ {
		tab.set(k*0x9E3779B97F4A7C15, 1)
	}
	if got, most := len(tab.slots), 100*loadDen/loadNum+1; got > most {
		t.Fatalf("capacity %d for a limit of 100, want <= %d", got, most)
	}
}

// FuzzTable checks the invariant on arbitrary operation sequences: the
// table answers as a Go map does, and no entry is cut off from its home.
func FuzzTable(f *testing.F) {
	f.Add(17, []byte{0, 1, 1, 0, 2, 2, 2, 1, 0, 0, 0x41, 3, 2, 0x41, 0})
	f.Fuzz(func(t *testing.T, limit int, ops []byte) {
		runOps(t, 1+abs(limit)%64, ops)
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sample finds an entry however sparse the table, from any position.
func TestTableSampleSparse(t *testing.T) {
	tab := newTable(1000)
	for k := uint64(1); k <= 1000; k++ {
		tab.set(k*0x9E3779B97F4A7C15, 1)
	}
	for k := uint64(2); k <= 1000; k++ {
		tab.del(k * 0x9E3779B97F4A7C15)
	}
	var out [4]slot
	for seed := range uint64(len(tab.slots)) {
		if n := tab.sample(seed, out[:]); n != 1 || out[0].key != 0x9E3779B97F4A7C15 {
			t.Fatalf("sample from %d = %d entries %+v, want the one left", seed, n, out[:n])
		}
	}
}
