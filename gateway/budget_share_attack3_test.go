package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/gateway"
	"github.com/tracegate/tracegate/gateway/internal/wire"
)

// TestDecodeCostNearShareNot503Attack3: regression test (attack round 3) for "413 when one
// message exceeds a principal's share, 503 otherwise": the body is
// reserved first and DecodeCost is then compared with the whole share, so
// a message whose DecodeCost fits the share but whose body plus DecodeCost
// does not is answered 503 "busy, retry" with Retry-After, to a principal
// with nothing else in flight: every retry gets the same 503.
func TestDecodeCostNearShareNot503Attack3(t *testing.T) {
	const share = 1 << 20
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.MaxBodyBytes = 512 << 10
		o.Config.MaxInflightBytes = 64 << 20
		o.Config.MaxInflightBytesPerPrincipal = share
	})
	pad := strings.Repeat("p", 200_000)
	mk := func(k int) []byte {
		return []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},`+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",%s,"pad":"%s","x":[%s]}}}`,
			modernMeta, pad, strings.TrimSuffix(strings.Repeat("{},", k), ",")))
	}
	var body []byte
	var cost int64
	for k := 1; ; k += 50 {
		b := mk(k)
		m, err := wire.Parse(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		if m.DecodeCost > share {
			break
		}
		body, cost = b, m.DecodeCost
	}
	for try := range 3 {
		req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", bytes.NewReader(body))
		pe.headers(req, era{modern: true}, "tools/call", "probe.Probe.Read")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("try %d: body %d bytes, DecodeCost %d (share %d): %d Retry-After %q %.160s", try, len(body), cost, share, resp.StatusCode, resp.Header.Get("Retry-After"), raw)
		if resp.StatusCode == http.StatusServiceUnavailable {
			t.Fatalf("a lone message that can never fit its principal's share (body %d + decoded %d > %d) is answered 503 retry, not 413", len(body), cost, share)
		}
	}
}
