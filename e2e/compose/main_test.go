package compose_test

import (
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// The local run starts go-micro services, whose package initialisation
// starts a cache janitor that never stops.
func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }
