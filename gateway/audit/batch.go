package audit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// gapEvery bounds how many records the writer commits while drops are
// pending before it writes a gap record even though the queue is not empty.
const gapEvery = 256

type queued struct {
	ctx context.Context
	rec Record
}

// batcher is the bounded queue of batch mode and its single writer.
type batcher struct {
	r       *Recorder
	hook    func()
	mu      sync.RWMutex // guards closed against submit
	closed  bool
	q       chan queued
	drops   atomic.Uint64
	stopped chan struct{}
	attrs   metric.AddOption
}

func newBatcher(r *Recorder, size int, hook func()) *batcher {
	b := &batcher{r: r, hook: hook, q: make(chan queued, size), stopped: make(chan struct{}),
		attrs: metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "queue_full")))}
	go b.run()
	return b
}

// submit enqueues rec without ever blocking; a full queue (or a closed
// recorder) counts a drop.
func (b *batcher) submit(ctx context.Context, rec Record) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if !b.closed {
		select {
		case b.q <- queued{ctx: context.WithoutCancel(ctx), rec: rec}:
			return
		default:
		}
	}
	b.drops.Add(1)
	b.r.dropped.Add(ctx, 1, b.attrs)
}

func (b *batcher) run() {
	defer close(b.stopped)
	sinceDrop := 0
	for item := range b.q {
		if b.hook != nil {
			b.hook()
		}
		if _, err := b.r.commit(item.ctx, item.rec, false, false); err != nil {
			handle(err)
		}
		if b.drops.Load() > 0 {
			sinceDrop++
			if len(b.q) == 0 || sinceDrop >= gapEvery {
				b.writeGap()
				sinceDrop = 0
			}
		}
	}
	b.writeGap()
}

// writeGap chains a gap record carrying the drops counted so far. If the
// file is not writable the Recorder keeps the gap record like any other.
func (b *batcher) writeGap() {
	n := b.drops.Swap(0)
	if n == 0 {
		return
	}
	ctx := context.Background() // the writer goroutine serves no request
	if _, err := b.r.commit(ctx, newGap(b.r.now(), n), false, true); err != nil {
		handle(fmt.Errorf("audit: gap record for %d drops: %w", n, err))
	}
}

// newGap returns an unsealed gap record standing for n records.
func newGap(now time.Time, n uint64) Record {
	now = now.UTC()
	return Record{t: now, w: wireRecord{Type: lineRecord, ID: newID(), Kind: KindGap,
		Time: now.Format(time.RFC3339Nano), Dropped: n}}
}

// close stops accepting records and waits for the writer to drain.
func (b *batcher) close(ctx context.Context) error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.q)
	}
	b.mu.Unlock()
	select {
	case <-b.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: drain batch queue: %w", ctx.Err())
	}
}
