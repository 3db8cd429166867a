package main

import (
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// The telemetry package imports go-micro, whose package initialisation starts
// a cache janitor that never stops.
func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }
