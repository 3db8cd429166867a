package microkittest

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

// gcRounds bounds the collections VerifyTestMain runs before checking.
const gcRounds = 10

// VerifyTestMain runs the tests, then checks for leaked goroutines after
// garbage collections. A go-micro client keeps pooled connections that only
// the finalizers of the garbage client close (go-micro's client has no
// Close), and until then the server goroutine of each connection waits on
// it. That goroutine keeps its server's handlers, with their own clients and
// connections, alive (comments holds posts, posts holds users), so it takes
// a collection per hop. Anything still running after that is a leak.
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		opts = append(IgnoreGoMicro(), opts...)
		var err error
		for range gcRounds {
			runtime.GC()
			if err = goleak.Find(opts...); err == nil {
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
