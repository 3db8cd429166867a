package agent_test

import (
	"testing"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }
