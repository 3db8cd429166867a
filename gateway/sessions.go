package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tracegate/tracegate/gateway/reason"
)

// SessionConfig bounds the 2025-11-25 protocol's stateful sessions.
type SessionConfig struct {
	// IdleTimeout ends a session that has seen no request this long (30m).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxLifetime ends a session this long after its initialize, however
	// active (24h; 0 after defaults: no limit). A previous session key
	// (PreviousKeyFile) is needed for one lifetime after rotating.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
	// MaxPerSubject caps the open sessions of one subject (100).
	MaxPerSubject int `yaml:"max_per_subject"`
	// MaxTotal caps all open sessions (10,000): of this replica, or of all
	// replicas with a shared session store.
	MaxTotal int `yaml:"max_total"`
	// MaxResident caps the SDK sessions this replica keeps in memory (0:
	// 1,000). An open session needs none between its requests: its state
	// is in its sealed id, so beyond the cap the least recently used idle
	// one is closed here and adopted again from its id on its next request
	// (on any replica). Memory then follows the sessions in use (~30 KiB
	// each), not the sessions open.
	MaxResident int `yaml:"max_resident"`
	// KeyFile holds the secret (at least 32 bytes, e.g. 64 hex characters;
	// tracegate keygen --session-key-out) that seals session ids. Replicas
	// behind one load balancer share it. Empty: a random key per process
	// (one replica; its sessions end when it restarts).
	KeyFile string `yaml:"key_file"`
	// PreviousKeyFile is the key before the last rotation: ids it sealed
	// are still accepted until they expire (MaxLifetime).
	PreviousKeyFile string `yaml:"previous_key_file"`
}

// ErrBadSessions is returned by Validate for negative session limits.
var ErrBadSessions = errors.New("gateway: sessions: idle_timeout, max_lifetime, max_per_subject, max_total and max_resident must not be negative")

// defaultMaxResident is SessionConfig.MaxResident's default.
const defaultMaxResident = 1000

// sessionRetryAfter is the Retry-After of a refusal at a session cap.
const sessionRetryAfter = 30 * time.Second

// SessionStore keeps what must hold across replicas for 2025-11-25
// sessions: which sessions are open (a DELETEd or expired one is refused by
// every replica), their last-seen time (idle expiry) and the caps. The
// default is one replica's memory; [NewRedisSessionStore] shares it. The
// store only counts sessions by handle: what a session is travels in its
// sealed id.
type SessionStore interface {
	// reserve counts a session about to be created against the caps.
	reserve(ctx context.Context, cfg SessionConfig, s *openSession) *verdict
	// use admits a request on an open session and refreshes its last-seen
	// time; errSessionEnded when the store does not hold it (any more).
	use(ctx context.Context, cfg SessionConfig, s *openSession) (*verdict, error)
	// end forgets a session (DELETE, failed initialize, expiry).
	end(ctx context.Context, s *openSession)
	// alive returns those of handles the store still holds.
	alive(ctx context.Context, cfg SessionConfig, handles []string) map[string]bool
}

// memorySessions is the store of a single replica: sessions expire when
// idle and count against a per-subject and a global cap. With adopt set
// (several replicas explicitly run without a shared store), a session
// another replica created is adopted on its first request here; a DELETE
// or an expiry then ends it only on the replica that saw it, which keeps a
// tombstone of the handle until the id itself expires so that it never
// adopts that session again. Safe for concurrent use.
type memorySessions struct {
	now   func() time.Time
	adopt bool

	mu         sync.Mutex
	byHandle   map[string]*sessionEntry
	perSubject map[string]int
	ended      map[string]time.Time // adopt only: handle -> when its tombstone may go
	tombsOf    map[string][]string  // adopt only: subject -> its tombstones' handles, oldest first
	cfg        SessionConfig        // as last passed in (the same on every call)
}

// maxTombstones bounds memorySessions.ended, maxTombstonesPerSubject one
// subject's share of it (an id whose tombstone went is adoptable again
// here: without a shared store, caps and ends are per replica).
const (
	maxTombstones           = 100_000
	maxTombstonesPerSubject = 1_000
)

type sessionEntry struct {
	subject  string
	lastSeen time.Time
	issued   int64 // unix seconds, from the sealed id
}

func newMemorySessions(adopt bool) *memorySessions {
	return &memorySessions{now: time.Now, adopt: adopt, byHandle: map[string]*sessionEntry{}, perSubject: map[string]int{}, ended: map[string]time.Time{}, tombsOf: map[string][]string{}}
}

func (m *memorySessions) reserve(_ context.Context, cfg SessionConfig, s *openSession) *verdict {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = cfg
	if v := m.capsLocked(cfg, s); v != nil {
		return v
	}
	m.addLocked(s)
	return nil
}

// capsLocked refuses one more session of s's subject at either cap.
func (m *memorySessions) capsLocked(cfg SessionConfig, s *openSession) *verdict {
	if cfg.MaxTotal > 0 && len(m.byHandle) >= cfg.MaxTotal {
		return sessionsFull(fmt.Sprintf("the gateway's %d open sessions are its limit", cfg.MaxTotal))
	}
	if cfg.MaxPerSubject > 0 && m.perSubject[s.subjectKey()] >= cfg.MaxPerSubject {
		return sessionsFull(fmt.Sprintf("subject has %d open sessions, the limit", cfg.MaxPerSubject))
	}
	return nil
}

func (m *memorySessions) use(_ context.Context, cfg SessionConfig, s *openSession) (*verdict, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = cfg
	e, ok := m.byHandle[s.handle]
	switch {
	case !ok && m.adopt && !m.endedLocked(s.handle):
		// Adopted here: it counts against this replica's caps like one
		// created here (without a shared store the caps are per replica).
		if v := m.capsLocked(cfg, s); v != nil {
			return v, nil
		}
		m.addLocked(s)
	case !ok:
		return nil, errSessionEnded
	case idle(cfg, e.lastSeen, m.now()):
		m.dropLocked(s.handle, e)
		return nil, errSessionEnded
	default:
		e.lastSeen = m.now()
	}
	return nil, nil
}

func (m *memorySessions) end(_ context.Context, s *openSession) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.byHandle[s.handle]; ok {
		m.dropLocked(s.handle, e)
	} else {
		m.buryLocked(s.handle, s.state.Issued, s.subjectKey()) // ended here before this replica adopted it
	}
}

// buryLocked keeps a tombstone of an ended session of subject (adopt mode
// only) until its id expires: issue time plus MaxLifetime; with no
// lifetime, one idle timeout from now, else a day. Each subject keeps at
// most maxTombstonesPerSubject (its oldest go first), so one caller's churn
// of sessions cannot push out another's; beyond maxTombstones in all, an
// arbitrary one goes (O(1): no scan under the lock).
func (m *memorySessions) buryLocked(handle string, issued int64, subject string) {
	if !m.adopt {
		return
	}
	until := m.now().Add(cmp.Or(m.cfg.IdleTimeout, 24*time.Hour))
	if m.cfg.MaxLifetime > 0 {
		until = time.Unix(issued, 0).Add(m.cfg.MaxLifetime)
	}
	own := append(m.tombsOf[subject], handle)
	for len(own) > maxTombstonesPerSubject {
		delete(m.ended, own[0])
		own = own[1:]
	}
	m.tombsOf[subject] = own
	for h := range m.ended {
		if len(m.ended) < maxTombstones {
			break
		}
		delete(m.ended, h)
	}
	m.ended[handle] = until
}

// endedLocked reports a tombstone for handle.
func (m *memorySessions) endedLocked(handle string) bool {
	until, ok := m.ended[handle]
	if ok && m.now().After(until) {
		delete(m.ended, handle)
		return false
	}
	return ok
}

// pruneTombstonesLocked drops expired tombstones and forgets the handles
// of those gone (run by the periodic sweep through alive).
func (m *memorySessions) pruneTombstonesLocked() {
	now := m.now()
	for h, until := range m.ended {
		if now.After(until) {
			delete(m.ended, h)
		}
	}
	for sub, own := range m.tombsOf {
		own = slices.DeleteFunc(own, func(h string) bool { _, ok := m.ended[h]; return !ok })
		if len(own) == 0 {
			delete(m.tombsOf, sub)
		} else {
			m.tombsOf[sub] = own
		}
	}
}

func (m *memorySessions) alive(_ context.Context, cfg SessionConfig, handles []string) map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = cfg
	m.expireLocked(cfg)
	m.pruneTombstonesLocked()
	out := make(map[string]bool, len(handles))
	for _, h := range handles {
		if _, ok := m.byHandle[h]; ok {
			out[h] = true
		}
	}
	return out
}

// open is the number of sessions held.
func (m *memorySessions) open() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byHandle)
}

func (m *memorySessions) addLocked(s *openSession) {
	sub := s.subjectKey()
	m.byHandle[s.handle] = &sessionEntry{subject: sub, lastSeen: m.now(), issued: s.state.Issued}
	m.perSubject[sub]++
}

// expireLocked drops the idle sessions, freeing their slots (run by the
// periodic sweep through alive).
func (m *memorySessions) expireLocked(cfg SessionConfig) {
	now := m.now()
	for h, e := range m.byHandle {
		if idle(cfg, e.lastSeen, now) {
			m.dropLocked(h, e)
		}
	}
}

func (m *memorySessions) dropLocked(handle string, e *sessionEntry) {
	delete(m.byHandle, handle)
	m.buryLocked(handle, e.issued, e.subject)
	if m.perSubject[e.subject]--; m.perSubject[e.subject] <= 0 {
		delete(m.perSubject, e.subject)
	}
}

// idle tells whether a session last seen at seen has expired at now.
func idle(cfg SessionConfig, seen, now time.Time) bool {
	return cfg.IdleTimeout > 0 && now.Sub(seen) > cfg.IdleTimeout
}

func sessionsFull(msg string) *verdict {
	v := refuseWith(reason.SessionLimit, msg+": close a session or retry later")
	v.retryAfter = sessionRetryAfter
	return v
}
