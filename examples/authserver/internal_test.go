package authserver

import (
	"net/url"
	"strconv"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestTTLStoreExpiresAndStaysBounded(t *testing.T) {
	c := &clock{t: time.Unix(1_000_000, 0)}
	s := newTTLStore[int](3, c.now)
	s.put("a", 1, time.Minute)
	if v, ok := s.get("a"); !ok || v != 1 {
		t.Fatalf("get a = %v %v", v, ok)
	}
	c.t = c.t.Add(time.Minute)
	if _, ok := s.get("a"); ok {
		t.Error("an entry outlived its ttl")
	}
	// Full: an insert drops the expired entries first, else the oldest.
	s = newTTLStore[int](3, c.now)
	for i := range 3 {
		s.put(strconv.Itoa(i), i, time.Hour)
		c.t = c.t.Add(time.Second)
	}
	s.put("3", 3, time.Hour)
	if _, ok := s.get("0"); ok || s.len() != 3 {
		t.Errorf("oldest kept or size %d", s.len())
	}
	s.put("short", 9, time.Second)
	c.t = c.t.Add(2 * time.Second)
	s.put("4", 4, time.Hour) // evicts the expired "short" and, the store being full again, nothing else
	for _, k := range []string{"2", "3", "4"} {
		if _, ok := s.get(k); !ok {
			t.Errorf("%s evicted", k)
		}
	}
	if v, ok := s.take("4"); !ok || v != 4 {
		t.Errorf("take = %v %v", v, ok)
	}
	if _, ok := s.take("4"); ok {
		t.Error("taken twice")
	}
}

func TestTTLStoreConcurrentSafe(t *testing.T) {
	s := newTTLStore[int](50, time.Now)
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				k := strconv.Itoa(g*1000 + i%80)
				s.put(k, i, time.Minute)
				s.get(k)
				s.take(strconv.Itoa(i % 80))
			}
		}()
	}
	for range 4 {
		<-done
	}
	if s.len() > 50 {
		t.Errorf("size %d over the bound", s.len())
	}
}

func TestDocumentTTL(t *testing.T) {
	for cc, want := range map[string]time.Duration{
		"":                         defaultDocumentTTL,
		"max-age=600":              10 * time.Minute,
		"public, max-age=3":        minDocumentTTL,
		"max-age=99999999":         maxDocumentTTL,
		"max-age=-1":               defaultDocumentTTL,
		"max-age=x":                defaultDocumentTTL,
		"no-store":                 0,
		"max-age=600, no-cache":    0,
		`max-age="120"`:            2 * time.Minute,
		"private, No-Store":        0,
		"stale-while-revalidate=9": defaultDocumentTTL,
	} {
		if got := documentTTL(cc); got != want {
			t.Errorf("documentTTL(%q) = %s, want %s", cc, got, want)
		}
	}
}

// FuzzRedirectMatches: whatever the two strings, a match is either the
// same string or two http loopback URIs that differ in the port only, so a
// code never goes to another host, scheme, path or query.
func FuzzRedirectMatches(f *testing.F) {
	for _, p := range [][2]string{
		{"http://127.0.0.1/cb", "http://127.0.0.1:5000/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1.evil.example/cb"},
		{"http://localhost:1/cb", "http://LOCALHOST:2/cb"},
		{"http://[::1]/cb", "http://[::1]:9/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:5000/cb?x"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:5000/cb#x"},
		{"http://127.0.0.1/cb", "http://u@127.0.0.1:5000/cb"},
		{"https://a.example/cb", "https://a.example:443/cb"},
		{"http://127.0.0.1/a%2Fb", "http://127.0.0.1:1/a/b"},
		{"cursor://x/cb", "cursor://x/cb"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, registered, requested string) {
		if !redirectMatches(registered, requested) || registered == requested {
			return
		}
		r, err1 := url.Parse(registered)
		q, err2 := url.Parse(requested)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q matched %q but one does not parse", registered, requested)
		}
		if r.Scheme != "http" || q.Scheme != "http" || r.Hostname() != q.Hostname() || !isLoopbackHost(q.Hostname()) ||
			r.EscapedPath() != q.EscapedPath() || r.RawQuery != q.RawQuery || q.User != nil || q.Fragment != "" {
			t.Fatalf("%q matched %q", registered, requested)
		}
	})
}

// FuzzDocumentClientID: only https URLs with a path, or http on a loopback
// host, are fetched as metadata documents.
func FuzzDocumentClientID(f *testing.F) {
	for _, s := range []string{"https://c.example/client.json", "https://c.example/", "http://c.example/x",
		"http://127.0.0.1:8/x", "http://localhost/x", "https://u@c.example/x", "https://c.example/x?y", "file:///etc/passwd",
		"http://127.0.0.1.nip.io/x", "http://[::1]/x", "HTTPS://c.example/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !documentClientID(id) {
			return
		}
		u, err := url.Parse(id)
		if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Path == "" || u.Path == "/" {
			t.Fatalf("%q accepted", id)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())) {
			t.Fatalf("%q accepted: scheme %s host %s", id, u.Scheme, u.Hostname())
		}
	})
}
