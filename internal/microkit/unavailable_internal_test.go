package microkit

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	merrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
)

func mErr(id string, code int32, detail string) error {
	return &merrors.Error{Id: id, Code: code, Detail: detail}
}

func TestIsUnavailable(t *testing.T) {
	dial := "connection error: dial tcp 127.0.0.1:3456: connect: connection refused"
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error with go-micro's words", errors.New(dial), false},
		{"JSON text of a go-micro error, not the type", errors.New(mErr(idClient, 500, dial).Error()), false},
		{"ErrUnavailable wrapped", fmt.Errorf("posts.Posts.Read: %w", ErrUnavailable), true},
		{"dial failure", mErr(idClient, 500, dial), true},
		{"dial failure wrapped by the gateway", fmt.Errorf("posts.Posts.Read: %w", mErr(idClient, 500, dial)), true},
		{"dial timeout", mErr(idClient, 500, "connection error: dial tcp 10.0.0.1:1: i/o timeout"), true},
		{"no node registered", mErr(idClient, 500, "service posts: not found"), true},
		{"none selectable", mErr(idClient, 500, "error selecting posts node: none available"), true},
		{"iterator failed", mErr(idClient, 500, "error getting next posts node: none available"), true},
		{"broken connection", mErr(idClientTransport, 500, "EOF"), true},
		{"503 from a service", mErr("posts", 503, "maintenance"), true},
		{"timeout: may have run", mErr(idClient, 408, "<nil>"), false},
		{"service's own error saying the words", mErr("posts", 500, dial), false},
		{"client error of another kind", mErr(idClient, 500, "unsupported Content-Type: x"), false},
		{"service prefix without not found", mErr(idClient, 500, "service posts: exploded"), false},
		{"not found from a service", mErr("posts", 404, "post not found"), false},
		{"bad request", mErr(idClient, 400, "connection error: x"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsUnavailable(tc.err); got != tc.want {
				t.Fatalf("IsUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestDialFailed(t *testing.T) {
	node := &registry.Node{Id: "n", Address: "127.0.0.1:3456"}
	for _, tc := range []struct {
		name string
		err  error
		node *registry.Node
		want bool
	}{
		{"own dial failure", mErr(idClient, 500, "connection error: dial tcp 127.0.0.1:3456: connect: connection refused"), node, true},
		{"wrapped", fmt.Errorf("x: %w", mErr(idClient, 500, "connection error: dial tcp 127.0.0.1:3456: i/o timeout")), node, true},
		{"relayed from another hop", mErr(idClient, 500, "connection error: dial tcp 127.0.0.1:9999: connect: connection refused"), node, false},
		{"address is a prefix of the failed one", mErr(idClient, 500, "connection error: dial tcp 127.0.0.1:34567: connect: connection refused"), node, false},
		{"host-name node", mErr(idClient, 500, "connection error: dial tcp 10.0.0.7:80: connect: connection refused"), &registry.Node{Address: "posts:80"}, false},
		{"service relays it under its own id", mErr("posts", 500, "connection error: dial tcp 127.0.0.1:3456: connect: connection refused"), node, false},
		{"broken connection (may have run)", mErr(idClientTransport, 500, "dial tcp 127.0.0.1:3456: "), node, false},
		{"timeout", mErr(idClient, 408, "connection error: dial tcp 127.0.0.1:3456: "), node, false},
		{"no node", mErr(idClient, 500, "connection error: dial tcp 127.0.0.1:3456: x"), nil, false},
		{"empty address", mErr(idClient, 500, "connection error: dial tcp : x"), &registry.Node{}, false},
		{"plain error", errors.New("connection error: dial tcp 127.0.0.1:3456: x"), node, false},
		{"nil", nil, node, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dialFailed(tc.err, tc.node); got != tc.want {
				t.Fatalf("dialFailed(%v, %v) = %v, want %v", tc.err, tc.node, got, tc.want)
			}
		})
	}
}

// FuzzDialFailed checks the invariant failover relies on: a call is sent
// again only for this client's own dial failure to that node, which is
// always also "unavailable".
func FuzzDialFailed(f *testing.F) {
	f.Add(idClient, int32(500), "connection error: dial tcp 127.0.0.1:1: connect: connection refused", "127.0.0.1:1")
	f.Add(idClientTransport, int32(500), "EOF", "127.0.0.1:1")
	f.Add("posts", int32(503), "connection error: dial tcp a: ", "a")
	f.Fuzz(func(t *testing.T, id string, code int32, detail, addr string) {
		err := mErr(id, code, detail)
		node := &registry.Node{Address: addr}
		if !dialFailed(err, node) {
			return
		}
		if !IsUnavailable(err) {
			t.Fatalf("dialFailed but not IsUnavailable: %v", err)
		}
		if id != idClient || code != 500 || !strings.HasPrefix(detail, detailDial) || addr == "" || !strings.Contains(detail, "dial tcp "+addr+": ") {
			t.Fatalf("dialFailed(%v, %q) without this client's dial error to that address", err, addr)
		}
	})
}
