// Package microkittest holds test helpers for code built on go-micro through
// [github.com/tracegate/tracegate/internal/microkit]: the goroutines go-micro
// leaves behind for good ([IgnoreGoMicro]) and a quiet go-micro logger
// ([QuietLogger]).
package microkittest
