package jaegerapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// recordedTrace is testdata/trace.json: a Comments.Create trace as the real
// Jaeger (v1.76.0 = 2.13.0) returned it from /api/traces/{id}.
const recordedTrace = "ef54c9add3f9d7f033e2163a94447b9d"

// The spans of testdata/trace.json.
const (
	rootID          = "fd883b936d0f6d7f"
	commentsServer  = "bbf805cfadfe9e7d"
	postsClientID   = "546436f6a53e5edc"
	postsServerID   = "b08449831008b320"
	usersClientID   = "b11561ce81a44ca5"
	usersServerID   = "abb7c63bd3b214d5"
	commentsService = "comments"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeAPI is a query API on 127.0.0.1 that answers every request with
// status and body, and keeps the last request's URL.
type fakeAPI struct {
	*httptest.Server
	mu   sync.Mutex
	last *url.URL
}

func newFakeAPI(t *testing.T, status int, body []byte) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.last = r.URL
		f.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) client() *jaegerapi.Client {
	return &jaegerapi.Client{URL: f.URL + "/", HTTP: f.Client()}
}

func (f *fakeAPI) lastURL() *url.URL {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// loadTrace fetches testdata/trace.json through a fake query API.
func loadTrace(t *testing.T) jaegerapi.Trace {
	t.Helper()
	srv := newFakeAPI(t, http.StatusOK, readFile(t, "testdata/trace.json"))
	tr, found, err := srv.client().Trace(context.Background(), recordedTrace)
	if err != nil || !found {
		t.Fatalf("Trace(%s) = found %v, %v", recordedTrace, found, err)
	}
	return tr
}
