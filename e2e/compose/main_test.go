package compose_test

import (
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// TestMain checks for leaks; the replica tests import the gateway package
// (its audit-path rule), which brings go-micro's package-level goroutines.
func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }
