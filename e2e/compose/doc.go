// Package compose checks the wiring of the repository's docker-compose.yml
// and docker/Dockerfile without a Docker engine: its tests load the compose
// file with the Compose specification's own loader (compose-go) and assert
// telemetry endpoints, ports, volumes, start order, healthchecks and the
// issuer/audience pairing between the authserver and the gateway.
package compose
