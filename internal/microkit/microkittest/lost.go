package microkittest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go-micro.dev/v5/client"
	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
)

// AttemptKey is the metadata key that carries a call attempt's id from a
// [LostAnswers] call wrapper to its handler wrapper.
const AttemptKey = "Tracegate-Attempt"

// LostAnswers finds go-micro calls that got no answer because no handler
// ever ran for them (issue 10: a request handed to a finished pseudo-socket
// on a pooled connection). Its call wrapper gives every attempt a unique id
// in metadata and remembers the attempts that failed; its handler wrapper,
// on every server involved, records the ids it handles. After the calls, an
// attempt that failed with a timeout and whose id no handler saw is a lost
// answer; any other failure is counted apart. One LostAnswers can watch
// several clients (each under its own name) and servers. Safe for
// concurrent use.
type LostAnswers struct {
	next atomic.Uint64
	mu   sync.Mutex
	seen map[string]bool
	// per client name
	calls  map[string]int
	failed map[string][]failedAttempt
}

type failedAttempt struct {
	id  string
	err error
}

// Tally is what happened to one client's call attempts.
type Tally struct {
	// Attempts is the number of call attempts made.
	Attempts int
	// Lost counts attempts that timed out (go-micro code 408) and that no
	// handler ever received.
	Lost int
	// Failed counts the other failed attempts.
	Failed int
	// FirstLost and FirstFailed are an example of each, or nil.
	FirstLost, FirstFailed error
}

// NewLostAnswers returns an empty detector.
func NewLostAnswers() *LostAnswers {
	return &LostAnswers{seen: map[string]bool{}, calls: map[string]int{}, failed: map[string][]failedAttempt{}}
}

// CallWrapper returns the call wrapper for the client named name. Put it
// outside the wrappers that pick a node, so each attempt gets its own id;
// it replaces an incoming attempt id forwarded in the context.
func (l *LostAnswers) CallWrapper(name string) client.CallWrapper {
	return func(next client.CallFunc) client.CallFunc {
		return func(ctx context.Context, node *registry.Node, req client.Request, rsp interface{}, opts client.CallOptions) error {
			id := strconv.FormatUint(l.next.Add(1), 10)
			md, ok := metadata.FromContext(ctx)
			if !ok {
				md = metadata.Metadata{}
			}
			for k := range md {
				if strings.EqualFold(k, AttemptKey) {
					delete(md, k)
				}
			}
			md[AttemptKey] = id
			err := next(metadata.NewContext(ctx, md), node, req, rsp, opts)
			l.mu.Lock()
			l.calls[name]++
			if err != nil {
				l.failed[name] = append(l.failed[name], failedAttempt{id: id, err: err})
			}
			l.mu.Unlock()
			return err
		}
	}
}

// HandlerWrapper returns the handler wrapper that records the attempt ids
// a server handles.
func (l *LostAnswers) HandlerWrapper() server.HandlerWrapper {
	return func(next server.HandlerFunc) server.HandlerFunc {
		return func(ctx context.Context, req server.Request, rsp interface{}) error {
			if md, ok := metadata.FromContext(ctx); ok {
				for k, v := range md {
					if strings.EqualFold(k, AttemptKey) {
						l.mu.Lock()
						l.seen[v] = true
						l.mu.Unlock()
					}
				}
			}
			return next(ctx, req, rsp)
		}
	}
}

// Failures returns the number of failed attempts so far, of every client:
// a call during which it did not change had no failed attempt on any hop
// (including attempts a client retried on its own).
func (l *LostAnswers) Failures() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, f := range l.failed {
		n += len(f)
	}
	return n
}

// Tally classifies the failed attempts of the client named name. Call it
// when the calls are done: a slow handler may still record its id until
// then.
func (l *LostAnswers) Tally(name string) Tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := Tally{Attempts: l.calls[name]}
	for _, f := range l.failed[name] {
		if isTimeout(f.err) && !l.seen[f.id] {
			t.Lost++
			if t.FirstLost == nil {
				t.FirstLost = f.err
			}
			continue
		}
		t.Failed++
		if t.FirstFailed == nil {
			t.FirstFailed = f.err
		}
	}
	return t
}

func isTimeout(err error) bool {
	var me *merrors.Error
	if errors.As(err, &me) {
		return me.Code == 408
	}
	if pe := merrors.Parse(err.Error()); pe != nil {
		return pe.Code == 408
	}
	return false
}
