package gateway

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tracegate/tracegate/gateway/reason"
)

// SessionConfig bounds the 2025-11-25 protocol's stateful sessions.
type SessionConfig struct {
	// IdleTimeout ends a session that has seen no request this long (30m).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxPerSubject caps the open sessions of one subject (100).
	MaxPerSubject int `yaml:"max_per_subject"`
	// MaxTotal caps all open sessions (10,000).
	MaxTotal int `yaml:"max_total"`
}

// ErrBadSessions is returned by Validate for negative session limits.
var ErrBadSessions = errors.New("gateway: sessions: idle_timeout, max_per_subject and max_total must not be negative")

// sessionRetryAfter is the Retry-After of a refusal at a session cap.
const sessionRetryAfter = 30 * time.Second

// sessions is the gateway's table of 2025-11-25 sessions: each is bound to
// the principal (subject and client) that initialized it, expires when idle,
// and counts against a per-subject and a global cap. A request for a session
// that is unknown, expired or another principal's is refused as
// session_not_found (HTTP 404), so a session id is useless to anyone else.
// Safe for concurrent use.
type sessions struct {
	cfg   SessionConfig
	now   func() time.Time
	close func(id string) // ends the SDK's session

	mu         sync.Mutex
	byID       map[string]*sessionEntry
	perSubject map[string]int // open and pending sessions per subject
	total      int
}

type sessionEntry struct {
	owner    string // exchange.principalKey
	subject  string
	lastSeen time.Time
}

func newSessions(cfg SessionConfig, close func(id string)) *sessions {
	return &sessions{cfg: cfg, now: time.Now, close: close,
		byID: map[string]*sessionEntry{}, perSubject: map[string]int{}}
}

// use admits a request on session id by ex's principal and marks the
// session active.
func (s *sessions) use(ex *exchange, id string) *verdict {
	s.mu.Lock()
	e, ok := s.byID[id]
	expired := ok && s.cfg.IdleTimeout > 0 && s.now().Sub(e.lastSeen) > s.cfg.IdleTimeout
	switch {
	case !ok:
	case e.owner != ex.principalKey():
		ok = false
	case expired:
		s.dropLocked(id, e)
		ok = false
	default:
		e.lastSeen = s.now()
	}
	s.mu.Unlock()
	if expired {
		s.close(id)
	}
	if !ok {
		return refuseWith(reason.SessionNotFound, "session not found")
	}
	return nil
}

// reserve holds a slot for a session ex is about to initialize; the
// release is called when initialize did not create one.
func (s *sessions) reserve(ex *exchange) (release func(), v *verdict) {
	subject := ex.principal.Subject
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxTotal > 0 && s.total >= s.cfg.MaxTotal {
		return nil, s.full(fmt.Sprintf("the gateway's %d open sessions are its limit", s.cfg.MaxTotal))
	}
	if s.cfg.MaxPerSubject > 0 && s.perSubject[subject] >= s.cfg.MaxPerSubject {
		return nil, s.full(fmt.Sprintf("subject has %d open sessions, the limit", s.cfg.MaxPerSubject))
	}
	s.total++
	s.perSubject[subject]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.releaseLocked(subject)
			s.mu.Unlock()
		})
	}, nil
}

func (s *sessions) full(msg string) *verdict {
	v := refuseWith(reason.SessionLimit, msg+": close a session or retry later")
	v.retryAfter = sessionRetryAfter
	return v
}

// bind records session id, created by ex's initialize, in the slot
// reserve held (which must not be released afterwards).
func (s *sessions) bind(ex *exchange, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id] = &sessionEntry{owner: ex.principalKey(), subject: ex.principal.Subject, lastSeen: s.now()}
}

// end forgets session id (DELETE by its owner, or closed by the SDK).
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		s.dropLocked(id, e)
	}
}

// sweep ends every idle session (run periodically, so abandoned sessions
// free their slots).
func (s *sessions) sweep() {
	if s.cfg.IdleTimeout <= 0 {
		return
	}
	var idle []string
	s.mu.Lock()
	for id, e := range s.byID {
		if s.now().Sub(e.lastSeen) > s.cfg.IdleTimeout {
			s.dropLocked(id, e)
			idle = append(idle, id)
		}
	}
	s.mu.Unlock()
	for _, id := range idle {
		s.close(id)
	}
}

// open is the number of bound sessions.
func (s *sessions) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

func (s *sessions) dropLocked(id string, e *sessionEntry) {
	delete(s.byID, id)
	s.releaseLocked(e.subject)
}

func (s *sessions) releaseLocked(subject string) {
	s.total--
	if s.perSubject[subject]--; s.perSubject[subject] <= 0 {
		delete(s.perSubject, subject)
	}
}
