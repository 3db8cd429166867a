package microkit

import (
	"errors"
	"strings"

	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
)

// ErrUnavailable is the caller-safe meaning of every error for which
// [IsUnavailable] is true: show its text ("service unavailable") instead of
// the error's own, which names internal addresses.
var ErrUnavailable = errors.New("service unavailable")

// go-micro v5.30.0 client error ids and the detail prefixes of its
// "cannot reach the service" errors (client/rpc_client.go).
const (
	idClient          = "go.micro.client"
	idClientTransport = "go.micro.client.transport"
	detailDial        = "connection error: "
)

// unreachable matches the details of go-micro's client errors that mean no
// connection to the service was made.
func unreachable(detail string) bool {
	switch {
	case strings.HasPrefix(detail, detailDial): // pool.Get / transport.Dial failed
		return true
	case strings.HasPrefix(detail, "service ") && strings.HasSuffix(detail, ": not found"): // no node registered
		return true
	case strings.HasPrefix(detail, "error selecting "), strings.HasPrefix(detail, "error getting next "): // none selectable
		return true
	}
	return false
}

// IsUnavailable reports whether err means a service could not be reached,
// as opposed to a service that answered with an error or too late. True
// for:
//
//   - an error that wraps [ErrUnavailable];
//   - a go-micro client error (id "go.micro.client", code 500) saying no
//     node is registered or selectable, or that the connection could not be
//     opened (connection refused, dial timeout): the request was not sent;
//   - a go-micro transport error (id "go.micro.client.transport"): the
//     connection broke while sending or reading, so the service may or may
//     not have run the request;
//   - any go-micro error with code 503 (Service Unavailable).
//
// A service that relays such an error from its own downstream call unchanged
// (go-micro errors keep their id across hops) is classified the same way.
// A timeout (code 408) is not "unavailable": the request may have run.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var me *merrors.Error
	if !errors.As(err, &me) {
		return false
	}
	switch {
	case me.Code == 503:
		return true
	case me.Id == idClientTransport:
		return true
	case me.Id == idClient && me.Code == 500:
		return unreachable(me.Detail)
	}
	return false
}

// dialFailed reports whether err is this client's own failure to open a
// connection to node, so the request never left and may go to another
// node. A relayed dial error names another address ("connection error:
// dial tcp <addr>: …"), and an address given as a host name is never
// matched: both stay failures.
func dialFailed(err error, node *registry.Node) bool {
	var me *merrors.Error
	if node == nil || node.Address == "" || !errors.As(err, &me) {
		return false
	}
	return me.Id == idClient && me.Code == 500 &&
		strings.HasPrefix(me.Detail, detailDial) &&
		strings.Contains(me.Detail, "dial tcp "+node.Address+": ")
}
