package ratestore

import (
	"hash/maphash"
	"math"
	"math/bits"
	"sort"
	"sync"
	"time"
)

// Buckets is a bounded, sharded set of GCRA buckets (the generic cell rate
// algorithm of ITU-T I.371 / ATM Forum TM 4.0, the "virtual scheduling" form
// that go-redis/redis_rate runs in Redis). A bucket is one int64, its
// theoretical arrival time (TAT), in an open-addressing table keyed by a
// seeded 64-bit hash of K (hash/maphash.Comparable): memory is 20-30 bytes
// per bucket whatever K holds. A bucket whose TAT has passed is full, exactly as if it were absent,
// so idle buckets are dropped without losing anything; when a shard is at
// its bound, the sampled bucket nearest to full is evicted. Buckets starts no
// goroutine and needs no Close; it is safe for concurrent use.
//
// Two keys whose 64-bit hashes collide share a bucket (probability ~n²/2⁶⁵
// for n live buckets; the seed is random per Buckets, so it cannot be aimed).
//
// A few keys per shard are also watched, by value, so [Buckets.Nearest] can
// list the buckets closest to empty without scanning the tables.
type Buckets[K comparable] struct {
	seed     maphash.Seed
	shards   []gshard[K]
	mask     uint64 // shard index = hash & mask (the table uses the high bits)
	perShard int
}

// watchSlots is the number of keys watched per shard.
const watchSlots = 8

type gshard[K comparable] struct {
	mu    sync.Mutex
	tat   table
	clock int64 // the latest now seen: a caller that read the clock before a later one took the lock is not in the past
	watch [watchSlots]watched[K]
	worst int // index of the watched slot with the most tokens left (or an empty one)
}

type watched[K comparable] struct {
	used     bool
	h        uint64
	key      K
	tat      int64 // as of the last Take or GiveBack through this Buckets
	interval int64
	burst    int
	offset   int64   // burst×interval
	perNano  float64 // 1/interval, so ranking multiplies instead of dividing
}

// Rate is a GCRA bucket's parameters: one token every Interval, at most
// Burst tokens.
type Rate struct {
	Interval time.Duration // > 0
	Burst    int           // >= 1
}

// RateOf converts events per second into a Rate, truncating the interval to
// whole nanoseconds as redis_rate does (time.Duration(float64(time.Second)/rate)),
// so both backends compute the same schedule. Rates above 1e9/s are 1ns.
func RateOf(perSecond float64, burst int) Rate {
	iv := time.Duration(float64(time.Second) / perSecond)
	return Rate{Interval: max(iv, 1), Burst: max(burst, 1)}
}

// offset is Burst×Interval in nanoseconds, saturated far below overflow.
func (r Rate) offset() int64 {
	const ceiling = int64(1) << 61
	iv := int64(r.Interval)
	if int64(r.Burst) > ceiling/iv {
		return ceiling
	}
	return int64(r.Burst) * iv
}

// Taken is the result of [Buckets.Take].
type Taken struct {
	OK         bool
	Left       int           // whole tokens left after this take (0 when refused)
	RetryAfter time.Duration // when refused: until one token is back
}

// NewBuckets returns a Buckets holding at most about maxEntries buckets
// (DefaultMaxEntries when not positive). Below 1024 entries there is one
// shard and the bound is exact; above, 64 shards each hold maxEntries/64.
func NewBuckets[K comparable](maxEntries int) *Buckets[K] {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	n := shardCount
	if maxEntries < shardCount*16 {
		n = 1
	}
	b := &Buckets[K]{
		seed:     maphash.MakeSeed(),
		shards:   make([]gshard[K], n),
		mask:     uint64(n - 1),
		perShard: (maxEntries + n - 1) / n,
	}
	for i := range b.shards {
		b.shards[i].tat = newTable(b.perShard)
	}
	return b
}

func (b *Buckets[K]) locate(key K) (*gshard[K], uint64) {
	h := maphash.Comparable(b.seed, key)
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	return &b.shards[h&b.mask], h
}

// Take takes one token from key's bucket at now (nanoseconds on the
// caller's monotonic clock; a now earlier than one the shard has seen is
// taken as that one), creating a full bucket when absent. A refusal changes
// nothing.
func (b *Buckets[K]) Take(key K, now int64, r Rate) Taken {
	sh, h := b.locate(key)
	iv := int64(r.Interval)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now = sh.advance(now)
	tat, ok := sh.tat.get(h)
	if !ok || tat < now {
		tat = now // absent or refilled: full
	}
	next := tat + iv
	allowAt := next - r.offset()
	if allowAt > now {
		return Taken{RetryAfter: time.Duration(allowAt - now)}
	}
	if !ok {
		b.makeRoom(sh, h, now)
	}
	sh.tat.set(h, next)
	left := (now - allowAt) / iv
	sh.observe(h, key, next, r, now)
	return Taken{OK: true, Left: int(left)}
}

// GiveBack returns one token taken from key's bucket (after another bucket
// refused the same call). A bucket that becomes full is dropped.
func (b *Buckets[K]) GiveBack(key K, now int64, r Rate) {
	sh, h := b.locate(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now = sh.advance(now)
	tat, ok := sh.tat.get(h)
	if !ok {
		return
	}
	tat -= int64(r.Interval)
	for i := range sh.watch {
		if w := &sh.watch[i]; w.used && w.h == h {
			w.tat = tat
			sh.rankWorst(now)
			break
		}
	}
	if tat <= now {
		sh.tat.del(h)
		return
	}
	sh.tat.set(h, tat)
}

// advance returns the shard's clock moved to now if now is later. Callers
// read the clock before taking the lock; one delayed between the two (a
// preempted goroutine on a busy machine: seconds were measured) would
// otherwise see a TAT set by a later caller and be refused although its
// call arrives now. Called with the shard locked.
func (sh *gshard[K]) advance(now int64) int64 {
	if now < sh.clock {
		return sh.clock
	}
	sh.clock = now
	return now
}

// sweepSample is how many buckets an insert at the bound inspects.
const sweepSample = 4

// makeRoom prepares a shard for one more bucket. Below the bound, when the
// table would have to grow, it first drops every full bucket (tat <= now:
// nothing is lost) in one pass. At the bound it drops the full buckets among
// a few sampled ones (from a place given by the new key's hash, itself
// random) or, when none is full, the sampled bucket nearest to full, which
// loses the fewest taken tokens.
func (b *Buckets[K]) makeRoom(sh *gshard[K], h uint64, now int64) {
	if sh.tat.n < b.perShard {
		if sh.tat.needsRoom() && sh.tat.canGrow() {
			sh.tat.dropUpTo(now)
		}
		return
	}
	var got [sweepSample]slot
	victim, victimTAT := uint64(0), int64(math.MaxInt64)
	for _, s := range got[:sh.tat.sample(bits.RotateLeft64(h, 29), got[:])] {
		if s.val <= now {
			sh.tat.del(s.key)
		} else if s.val < victimTAT {
			victim, victimTAT = s.key, s.val
		}
	}
	if sh.tat.n >= b.perShard && victim != 0 {
		sh.tat.del(victim)
	}
}

// observe keeps key among the shard's watched buckets when it is closer to
// empty than the watched bucket with the most tokens left. Called with the
// shard locked; costs a scan of 8 hashes and, when a slot changes, a
// re-ranking of 8 multiplications.
func (sh *gshard[K]) observe(h uint64, key K, tat int64, r Rate, now int64) {
	for i := range sh.watch {
		if w := &sh.watch[i]; w.used && w.h == h {
			w.tat = tat
			if i == sh.worst {
				sh.rankWorst(now)
			}
			return
		}
	}
	w := &sh.watch[sh.worst]
	off, per := r.offset(), 1/float64(r.Interval)
	if w.used && tokensAt(now, tat, off, per) >= w.tokens(now) {
		return
	}
	*w = watched[K]{used: true, h: h, key: key, tat: tat, interval: int64(r.Interval), burst: r.Burst, offset: off, perNano: per}
	sh.rankWorst(now)
}

func (sh *gshard[K]) rankWorst(now int64) {
	worst, most := 0, -1.0
	for i := range sh.watch {
		w := &sh.watch[i]
		if !w.used {
			sh.worst = i
			return
		}
		if t := w.tokens(now); t > most {
			worst, most = i, t
		}
	}
	sh.worst = worst
}

func (w *watched[K]) rate() Rate { return Rate{Interval: time.Duration(w.interval), Burst: w.burst} }

// tokens is a watched bucket's tokens at now from the slot's own TAT (no
// table lookup on the hot path).
func (w *watched[K]) tokens(now int64) float64 { return tokensAt(now, w.tat, w.offset, w.perNano) }

// tokensAt is B - (tat-now)/interval = (now - (tat - offset))/interval,
// clamped to [0, B].
func tokensAt(now, tat, offset int64, perNano float64) float64 {
	if tat <= now {
		return float64(offset) * perNano
	}
	return max(0, float64(now-(tat-offset))*perNano)
}

// BucketState is one watched bucket as [Buckets.Nearest] reports it.
type BucketState[K comparable] struct {
	Key    K
	Rate   Rate
	Tokens float64 // tokens available at the time of the call, in [0, Burst)
}

// Nearest returns up to n watched buckets that are not full, fewest tokens
// first. It reads only the watch slots (8 per shard), never the maps, so its
// cost does not grow with the number of buckets and Take pays only for
// keeping the slots.
func (b *Buckets[K]) Nearest(n int, now int64) []BucketState[K] {
	var out []BucketState[K]
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		now := max(now, sh.clock)
		for j := range sh.watch {
			w := &sh.watch[j]
			if !w.used {
				continue
			}
			tat, ok := sh.tat.get(w.h) // exact: the bucket may have been dropped since
			if !ok {
				continue
			}
			// Divide here (off the hot path) so whole tokens read exactly.
			if t := min(float64(now-(tat-w.offset))/float64(w.interval), float64(w.burst)); t < float64(w.burst) {
				out = append(out, BucketState[K]{Key: w.key, Rate: w.rate(), Tokens: t})
			}
		}
		sh.mu.Unlock()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Tokens < out[j].Tokens })
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// Len reports the number of buckets held.
func (b *Buckets[K]) Len() int {
	n := 0
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		n += sh.tat.n
		sh.mu.Unlock()
	}
	return n
}
