package microkit_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tracegate/tracegate/internal/microkit"
)

func TestNewRegistryKinds(t *testing.T) {
	// etcd and consul clients are not built here: the etcd client dials in
	// the background, and mDNS is never used in tests.
	for _, tc := range []struct{ kind, want string }{
		{"", "memory"},
		{"memory", "memory"},
		{" Memory ", "memory"},
		{"nats", "nats"},
	} {
		reg, err := microkit.NewRegistry(tc.kind, []string{"127.0.0.1:4222"})
		if err != nil {
			t.Fatalf("NewRegistry(%q): %v", tc.kind, err)
		}
		if got := reg.String(); got != tc.want {
			t.Errorf("NewRegistry(%q) = %s, want %s", tc.kind, got, tc.want)
		}
	}
}

func TestNewRegistryUnknown(t *testing.T) {
	_, err := microkit.NewRegistry("zookeeper", nil)
	if !errors.Is(err, microkit.ErrUnknownRegistry) {
		t.Fatalf("err = %v, want ErrUnknownRegistry", err)
	}
}

func TestParseAddrs(t *testing.T) {
	got := microkit.ParseAddrs(" a:1, ,b:2,")
	if want := []string{"a:1", "b:2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseAddrs = %q, want %q", got, want)
	}
	if got := microkit.ParseAddrs(""); got != nil {
		t.Fatalf("ParseAddrs(\"\") = %q, want nil", got)
	}
}
