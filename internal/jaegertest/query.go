package jaegertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// findLimit caps the traces one search returns.
const findLimit = 100

// Trace fetches one trace by its hex id; found is false while Jaeger does not
// have it (yet).
func (j *Jaeger) Trace(ctx context.Context, traceID string) (tr Trace, found bool, err error) {
	return j.client().Trace(ctx, traceID)
}

// WaitTrace polls Jaeger until the trace traceID exists and pred (nil: any)
// accepts it, and returns it. Spans of one trace arrive from several
// exporters at different times, so pred should say what "complete" is. It
// fails the test after timeout with what Jaeger last returned.
func (j *Jaeger) WaitTrace(t testing.TB, traceID string, pred func(Trace) bool, timeout time.Duration) Trace {
	t.Helper()
	var (
		last    Trace
		found   bool
		lastErr error
	)
	ok := poll(timeout, func() bool {
		tr, f, err := j.Trace(context.Background(), traceID)
		if err != nil {
			lastErr = err
			return isClientError(err) // a bad request does not get better
		}
		last, found, lastErr = tr, f, nil
		return f && (pred == nil || pred(tr))
	})
	switch {
	case lastErr != nil:
		t.Fatalf("jaegertest: wait up to %s for trace %s: %v", timeout, traceID, lastErr)
	case !found:
		t.Fatalf("jaegertest: trace %s not found within %s", traceID, timeout)
	case !ok:
		t.Fatalf("jaegertest: trace %s not as expected within %s; last seen:\n%s", traceID, timeout, last)
	}
	return last
}

// FindTraces searches traces of service whose spans (tags, span-log fields
// or process tags) carry every tag in tags, started since since. It runs one
// search: call it once the trace is known to be stored (after WaitTrace).
func (j *Jaeger) FindTraces(t testing.TB, service string, tags map[string]string, since time.Time) []Trace {
	t.Helper()
	trs, err := j.client().Find(context.Background(), jaegerapi.Query{
		Service: service, Tags: tags, Start: since, End: time.Now().Add(time.Minute), Limit: findLimit,
	})
	if err != nil {
		t.Fatalf("jaegertest: find traces of %s with %v: %v", service, tags, err)
	}
	return trs
}

// isClientError tells a 4xx answer (a bad id or query), which polling cannot fix.
func isClientError(err error) bool {
	var se *jaegerapi.StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}

// HasTrace reports whether trs holds the trace traceID.
func HasTrace(trs []Trace, traceID string) bool {
	for _, tr := range trs {
		if NormalizeID(tr.TraceID) == NormalizeID(traceID) {
			return true
		}
	}
	return false
}
