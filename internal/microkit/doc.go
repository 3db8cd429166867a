// Package microkit builds go-micro servers, clients and registries that never
// fall back to go-micro's process-wide defaults.
//
// A bare go-micro server, client or service uses the mDNS registry (which
// multicasts), the HTTP broker bound to that registry at package load, the
// global default selector and the address ":0" (every interface). Here:
//
//   - [NewRegistry] builds a registry by kind: [RegistryMemory] (the default),
//     [RegistryNATS], [RegistryEtcd], [RegistryConsul], or [RegistryMDNS] only
//     when asked for by name; any other kind is [ErrUnknownRegistry].
//   - [NewServer] always sets the registry given by [WithRegistry] (required:
//     [ErrNoRegistry]), a memory broker, its own HTTP transport, a unique node id
//     and the address [DefaultAddress] (127.0.0.1:0, advertised as 127.0.0.1).
//   - [NewClient] does the same for a client and gives it its own selector, so
//     the global default selector is never re-initialised; [Client.Close] stops
//     the selector's registry watchers. Its calls never lose answers on a pooled
//     connection ([ConnMode]), it recovers from a service restart (a node that
//     refuses connections is dropped, the call goes elsewhere, an announced
//     service is looked up again; [EventKind]), and [IsUnavailable] tells an
//     unreachable service from one that answered with an error.
//   - [StartNATS] runs an embedded NATS server on loopback, for a registry shared
//     by several processes in tests and demos.
//
// Importing microkit links package securetls, which sets MICRO_TLS_SECURE=true
// (when unset) before go-micro initialises: go-micro's default TLS configs then
// verify certificates, and go-micro no longer prints its "[SECURITY WARNING] TLS
// certificate verification is disabled" line at start.
package microkit

import _ "github.com/tracegate/tracegate/internal/microkit/securetls" // before go-micro's init, see the package doc
