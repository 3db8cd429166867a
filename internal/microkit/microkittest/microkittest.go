package microkittest

import (
	"go-micro.dev/v5/logger"
	"go.uber.org/goleak"
)

// IgnoreGoMicro returns goleak options for go-micro background goroutines
// that cannot be stopped, for goleak.VerifyTestMain:
//
//   - registry.(*memRegistry).ttlPrune: registry.NewMemoryRegistry starts it
//     and offers no way to stop it; it lives as long as the process.
//   - go-cache's (*janitor).Run: client.NewOptions builds a response cache
//     (github.com/patrickmn/go-cache) for every client, including go-micro's
//     package-level client.DefaultClient built at package load; its janitor
//     stops only when the cache is garbage collected.
func IgnoreGoMicro() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction("go-micro.dev/v5/registry.(*memRegistry).ttlPrune"),
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
	}
}

// QuietLogger returns a go-micro logger that prints errors only, so test
// output is not drowned in "Registering node" lines.
func QuietLogger() logger.Logger {
	return logger.NewLogger(logger.WithLevel(logger.ErrorLevel))
}
