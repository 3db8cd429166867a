// Package compose checks the wiring of the repository's docker-compose.yml
// and docker/Dockerfile without a Docker engine: its tests load the compose
// file with the Compose specification's own loader (compose-go) and assert
// telemetry endpoints, ports, volumes, start order, healthchecks and the
// names: the issuer and the resource are the URLs a client on the host uses,
// containers reach each other by internal URLs. A local run on loopback with
// the compose file's own settings proves that wiring: the agent succeeds
// through the internal names alone, and a client on the host discovers and
// signs in from the canonical resource.
package compose
