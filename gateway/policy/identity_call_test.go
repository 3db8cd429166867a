package policy

import (
	"context"
	"strings"
	"testing"

	"go-micro.dev/v5/metadata"
)

func TestWithIdentityKeepsOneKey(t *testing.T) {
	ctx := metadata.NewContext(context.Background(), metadata.Metadata{
		"Tracegate-Identity": "a", "tracegate-identity": "b", "Traceparent": "tp",
	})
	md, _ := metadata.FromContext(withIdentity(ctx, "fresh"))
	n := 0
	for k, v := range md {
		if strings.EqualFold(k, IdentityMetadataKey) {
			n++
			if k != IdentityMetadataKey || v != "fresh" {
				t.Fatalf("%s = %q", k, v)
			}
		}
	}
	if n != 1 || md["Traceparent"] != "tp" {
		t.Fatalf("metadata = %v, want one identity key and the rest kept", md)
	}
}
