package runner_test

import (
	"errors"
	"flag"
	"io"
	"testing"

	"github.com/tracegate/tracegate/examples/blog/internal/runner"
	"github.com/tracegate/tracegate/internal/microkit"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want runner.Flags
	}{
		{"defaults", nil, nil, runner.Flags{Registry: "memory", Address: "127.0.0.1:0", RateBurst: 10}},
		{"env", nil, map[string]string{
			"MICRO_REGISTRY": "nats", "MICRO_REGISTRY_ADDRESS": "nats://127.0.0.1:4222", "MICRO_SERVER_ADDRESS": "127.0.0.1:9001",
		}, runner.Flags{Registry: "nats", RegistryAddress: "nats://127.0.0.1:4222", Address: "127.0.0.1:9001", RateBurst: 10}},
		{"flags beat env", []string{"--registry", "etcd", "--registry_address=127.0.0.1:2379", "--address", "127.0.0.1:9002"},
			map[string]string{"MICRO_REGISTRY": "nats"},
			runner.Flags{Registry: "etcd", RegistryAddress: "127.0.0.1:2379", Address: "127.0.0.1:9002", RateBurst: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runner.ParseFlags("users", tc.args, env(tc.env), io.Discard)
			if err != nil || got != tc.want {
				t.Fatalf("ParseFlags = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseFlagsErrors(t *testing.T) {
	if _, err := runner.ParseFlags("users", []string{"-h"}, env(nil), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
	if _, err := runner.ParseFlags("users", []string{"extra"}, env(nil), io.Discard); err == nil {
		t.Error("positional argument: want error")
	}
	f, err := runner.ParseFlags("users", []string{"--registry", "zookeeper"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewRegistry(); !errors.Is(err, microkit.ErrUnknownRegistry) {
		t.Errorf("NewRegistry err = %v, want ErrUnknownRegistry", err)
	}
}
