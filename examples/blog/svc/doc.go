// Package svc is what the three blog services share: [Options], the
// [Service] that wires a go-micro server and client through
// [github.com/tracegate/tracegate/internal/microkit] and
// [github.com/tracegate/tracegate/telemetry], the in-memory [Store], the
// scopes and the event attribute keys.
package svc
