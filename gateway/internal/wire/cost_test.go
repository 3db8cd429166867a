package wire

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// TestDecodeCostBoundsDecode: for the shapes that cost the most heap per
// byte of text, Message.DecodeCost is at least what decoding the message
// into generic Go values actually holds (measured after a GC, the tree kept
// alive), and not so far above it that ordinary messages are refused.
func TestDecodeCostBoundsDecode(t *testing.T) {
	for _, item := range []string{`{}`, `[]`, `1`, `""`, `null`, `{"a":1}`, `[[[]]]`, `{"a":{},"b":{}}`, `"` + strings.Repeat("x", 100) + `"`, `{"":[0]}`} {
		t.Run(item, func(t *testing.T) {
			n := 500_000 / (len(item) + 1)
			list := strings.TrimSuffix(strings.Repeat(item+",", n), ",")
			body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"x":[` + list +
				`]},"_meta":{"y":[` + list + `]}}}`)
			m, err := Parse(body, 0)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			runtime.KeepAlive(v)
			if m.DecodeCost < held {
				t.Errorf("DecodeCost %d < %d bytes held by the decoded message (%d bytes of text)", m.DecodeCost, held, len(body))
			}
			if m.DecodeCost > 8*held+int64(len(body)) {
				t.Errorf("DecodeCost %d is far above the %d bytes held (%d bytes of text)", m.DecodeCost, held, len(body))
			}
		})
	}
}
