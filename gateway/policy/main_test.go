package policy

import (
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// go-micro's client package (Minter.CallWrapper) starts a cache janitor at
// package load.
func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }
