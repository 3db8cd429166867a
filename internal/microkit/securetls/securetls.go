// Package securetls makes go-micro's TLS default verify certificates, for
// every program that links it (package microkit imports it, so every
// go-micro program of tracegate does).
//
// go-micro v5.30.0 builds broker.DefaultBroker (an HTTP broker) while its
// broker package initialises; that calls go-micro's internal TLS helper,
// which, unless MICRO_TLS_SECURE=true, returns a config with
// InsecureSkipVerify and prints, once per process, "[SECURITY WARNING] TLS
// certificate verification is disabled by default…" to the standard
// logger. Because this happens during package initialisation, before any
// constructor or main runs, the only way to answer it is to set the
// variable earlier: this package's init sets MICRO_TLS_SECURE=true when it
// is unset. The Go specification initialises packages in import-path
// order whenever their dependencies allow (Go 1.21+); this package depends
// only on os, and "github.com/…" sorts before "go-micro.dev/…", so it runs
// first.
//
// Effect: go-micro's default TLS configs verify certificates (its HTTP
// broker, and the etcd and consul registries and gRPC transport when asked
// to be secure without a TLS config). Nothing tracegate uses speaks TLS
// through those defaults (memory broker, HTTP transport without TLS,
// registries without Secure), so nothing changes on loopback, and nothing
// is weakened anywhere. An operator who needs go-micro's old insecure
// default sets MICRO_TLS_SECURE to any other value, and sees the warning.
package securetls

import "os"

// EnvVar is the variable go-micro reads.
const EnvVar = "MICRO_TLS_SECURE"

func init() {
	if _, set := os.LookupEnv(EnvVar); !set {
		_ = os.Setenv(EnvVar, "true") // fails only for an invalid name
	}
}
