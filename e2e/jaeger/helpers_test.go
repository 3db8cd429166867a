//go:build e2e

package jaeger_test

import (
	"testing"

	"go-micro.dev/v5/registry"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/telemetry"
)

var (
	providers        = e2etest.Providers
	recordOTelErrors = e2etest.RecordOTelErrors
)

func startService(t *testing.T, newSvc func(svc.Options) (*svc.Service, error), reg registry.Registry, p telemetry.Providers) {
	t.Helper()
	e2etest.StartService(t, newSvc, reg, p)
}
