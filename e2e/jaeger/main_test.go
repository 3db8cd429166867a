//go:build e2e

package jaeger_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// gcRounds bounds the collections TestMain runs before checking for leaks.
const gcRounds = 10

// TestMain checks for leaked goroutines, after garbage collections: a
// go-micro client keeps pooled connections that only the finalizers of the
// garbage client close (go-micro's client has no Close), and until then the
// server goroutine of each connection waits on it. That goroutine keeps its
// server's handlers, with their own clients and connections, alive: comments
// holds posts, posts holds users, so it takes a collection per hop.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		var err error
		for range gcRounds {
			runtime.GC()
			if err = goleak.Find(microkittest.IgnoreGoMicro()...); err == nil {
				break
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
