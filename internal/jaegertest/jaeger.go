package jaegertest

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// Environment variables set by scripts/jaeger.sh run.
const (
	EnvURL          = "JAEGER_URL"
	EnvOTLPEndpoint = "JAEGER_OTLP_ENDPOINT"
	EnvLog          = "JAEGER_LOG"
)

// pollInterval is how often the Wait functions look again.
const pollInterval = 100 * time.Millisecond

// requestTimeout bounds one query API request.
const requestTimeout = 5 * time.Second

// Jaeger is a running Jaeger: its query API, its OTLP gRPC endpoint and the
// file its output (with the debug exporter's log records) goes to.
type Jaeger struct {
	// URL is the query API, e.g. http://127.0.0.1:16686.
	URL string
	// OTLPEndpoint is the OTLP gRPC receiver, e.g. http://127.0.0.1:4317.
	OTLPEndpoint string
	// LogPath is the file with Jaeger's stdout and stderr.
	LogPath string

	http *http.Client
}

// client is the query API client of j.URL.
func (j *Jaeger) client() *jaegerapi.Client { return &jaegerapi.Client{URL: j.URL, HTTP: j.http} }

// New returns a client of the Jaeger query API at url; set OTLPEndpoint and
// LogPath as needed.
func New(url string) *Jaeger {
	return &Jaeger{URL: strings.TrimRight(url, "/"), http: &http.Client{Timeout: requestTimeout}}
}

// FromEnv returns the Jaeger started by scripts/jaeger.sh run. It fails the
// test (it does not skip it) when JAEGER_URL is unset: an end-to-end test
// that silently skips proves nothing.
func FromEnv(t testing.TB) *Jaeger {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		t.Fatalf("jaegertest: %s is not set; run the end-to-end tests against a real Jaeger with "+
			"`scripts/jaeger.sh run -- go test -race -tags e2e -count=1 ./e2e/...` or `make test`", EnvURL)
	}
	j := New(url)
	j.OTLPEndpoint = os.Getenv(EnvOTLPEndpoint)
	j.LogPath = os.Getenv(EnvLog)
	return j
}

// Setenv points the standard OTEL_* variables at this Jaeger for the test:
// traces and logs over OTLP gRPC to OTLPEndpoint, metrics off (Jaeger has no
// metrics pipeline), and no OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES
// from the outer environment overriding the services' names.
func (j *Jaeger) Setenv(t testing.TB) {
	t.Helper()
	if j.OTLPEndpoint == "" {
		t.Fatalf("jaegertest: no OTLP endpoint (%s is not set)", EnvOTLPEndpoint)
	}
	for k, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        j.OTLPEndpoint,
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": j.OTLPEndpoint,
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT":   j.OTLPEndpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL":        "grpc",
		"OTEL_TRACES_EXPORTER":               "otlp",
		"OTEL_LOGS_EXPORTER":                 "otlp",
		"OTEL_METRICS_EXPORTER":              "none",
		"OTEL_SERVICE_NAME":                  "",
		"OTEL_RESOURCE_ATTRIBUTES":           "",
	} {
		t.Setenv(k, v)
	}
}

// poll calls try every pollInterval until it reports done or timeout passes;
// it reports whether try succeeded. try runs at least once.
func poll(timeout time.Duration, try func() (done bool)) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if try() {
			return true
		}
		select {
		case <-deadline.C:
			return try()
		case <-tick.C:
		}
	}
}
