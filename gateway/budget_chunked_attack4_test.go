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

// onlyReader hides bytes.Reader's Len so net/http sends the body chunked
// (ContentLength -1).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestChunkedBodyFalse413Attack4 (regression, attack round 4): a body sent
// without Content-Length (chunked) is reserved at MaxBodyBytes only while it
// is read, then at its own size, so a small message admitted when sent with
// Content-Length is admitted chunked too, not answered 413 "can never fit".
func TestChunkedBodyFalse413Attack4(t *testing.T) {
	const share = 1 << 20
	const limit = 512 << 10
	pe := newProbeEnv(t, func(o *gateway.Options) {
		o.Config.MaxBodyBytes = limit
		o.Config.MaxInflightBytes = 64 << 20
		o.Config.MaxInflightBytesPerPrincipal = share
	})
	mk := func(k int) []byte {
		return []byte(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.Probe.Read","arguments":{},`+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",%s,"x":[%s]}}}`,
			modernMeta, strings.TrimSuffix(strings.Repeat("{},", k), ",")))
	}
	var body []byte
	var cost int64
	for k := 1; ; k += 20 {
		b := mk(k)
		m, err := wire.Parse(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		d := wire.DecodeCopies * m.DecodeCost
		if int64(len(b))+d > share-4096 {
			break
		}
		body, cost = b, d
	}
	if int64(limit)+cost <= share {
		t.Skipf("could not build a message in the gap (len %d, decoded %d)", len(body), cost)
	}
	send := func(chunked bool) (int, string) {
		var rd io.Reader = bytes.NewReader(body)
		if chunked {
			rd = onlyReader{bytes.NewReader(body)}
		}
		req, _ := http.NewRequest(http.MethodPost, pe.url+"/mcp", rd)
		pe.headers(req, era{modern: true}, "tools/call", "probe.Probe.Read")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(raw)
	}
	cl, craw := send(false)
	ch, chraw := send(true)
	t.Logf("body %d bytes, reserved decoded %d, share %d, limit %d", len(body), cost, share, limit)
	t.Logf("with Content-Length: %d %.200s", cl, craw)
	t.Logf("chunked:             %d %.200s", ch, chraw)
	if cl == http.StatusOK && ch != http.StatusOK {
		t.Fatalf("the same %d-byte message is admitted with Content-Length but refused %d when chunked: the reservation is MaxBodyBytes, not the body read", len(body), ch)
	}
}
