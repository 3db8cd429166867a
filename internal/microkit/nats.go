package microkit

import (
	"fmt"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// natsReadyTimeout bounds how long [StartNATS] waits for the embedded server.
const natsReadyTimeout = 10 * time.Second

// StartNATS runs an embedded NATS server for a registry shared by several
// processes (tests, local demos). An empty host means 127.0.0.1 and port 0 a
// random free port. It returns the client URL ("nats://127.0.0.1:port") and a
// stop function that shuts the server down and waits for it; stop is safe to
// call more than once.
func StartNATS(host string, port int) (url string, stop func(), err error) {
	if host == "" {
		host = "127.0.0.1"
	}
	if port == 0 {
		port = natsserver.RANDOM_PORT
	}
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host:   host,
		Port:   port,
		NoLog:  true,
		NoSigs: true,
		// No HTTP monitoring, cluster, gateway or leafnode listeners: only
		// the client port is bound.
	})
	if err != nil {
		return "", nil, fmt.Errorf("microkit: nats server: %w", err)
	}
	ns.Start()
	stop = func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
	if !ns.ReadyForConnections(natsReadyTimeout) {
		stop()
		return "", nil, fmt.Errorf("microkit: nats server on %s:%d not ready after %s", host, port, natsReadyTimeout)
	}
	return ns.ClientURL(), stop, nil
}
