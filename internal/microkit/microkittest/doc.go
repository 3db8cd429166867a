// Package microkittest holds test helpers for code built on go-micro through
// [github.com/tracegate/tracegate/internal/microkit]: the goroutines go-micro
// leaves behind for good ([IgnoreGoMicro]), a quiet go-micro logger
// ([QuietLogger]), a NATS registry on loopback ([NATSRegistry]), a detector
// of lost answers ([LostAnswers]) and a crash that cuts a server's
// connections and leaves it registered ([CrashTransport], [KeepRegistered]).
package microkittest
