package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// The telemetry package imports go-micro, whose package initialisation starts
// a cache janitor that never stops.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, microkittest.IgnoreGoMicro()...) }
