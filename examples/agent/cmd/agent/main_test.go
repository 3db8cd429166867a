package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m, microkittest.IgnoreGoMicro()...) }
