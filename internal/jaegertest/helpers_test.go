package jaegertest_test

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
)

// fakeTB records a Fatalf instead of failing the real test; Fatalf ends the
// calling goroutine, as testing.T's does.
type fakeTB struct {
	testing.TB
	mu    sync.Mutex
	fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// fatalOf runs fn with a fakeTB and returns its Fatalf message ("" if none).
func fatalOf(fn func(tb testing.TB)) string {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fatal
}

// recordedTrace is the trace in recordedPath: a Comments.Create trace as the
// real Jaeger (v1.76.0 = 2.13.0) returned it from /api/traces/{id}. The
// fixture lives with the model that decodes it, in jaegerapi.
const (
	recordedTrace = "ef54c9add3f9d7f033e2163a94447b9d"
	recordedPath  = "../jaegerapi/testdata/trace.json"
)

// Server spans of the recorded trace; testdata/debug.log holds their log
// records.
const (
	commentsServer = "bbf805cfadfe9e7d"
	postsServerID  = "b08449831008b320"
	usersServerID  = "abb7c63bd3b214d5"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
