package telemetry

// ScopeName is the instrumentation scope of the spans, metrics and events this
// package records.
const ScopeName = "github.com/tracegate/tracegate/telemetry"

// Version is the tracegate version reported as instrumentation scope version
// and as the default service.version.
const Version = "0.1.0"
