package wire

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	sjson "github.com/segmentio/encoding/json"
)

// TestDecodeCostBoundsSDKDecodeAttack3: what a message reserves
// (DecodeCopies × DecodeCost) bounds what is live on the 2025-11-25 path,
// where the MCP SDK decodes params (its internal/json is segmentio: every
// array is make([]any, 0, 10)) while the exchange holds its own
// encoding/json copy of _meta, for the shapes that cost the SDK most.
func TestDecodeCostBoundsSDKDecodeAttack3(t *testing.T) {
	for _, item := range []string{`[]`, `[[]]`, `[[[[[[[[]]]]]]]]`} {
		t.Run(item, func(t *testing.T) {
			n := 500_000 / (len(item) + 1)
			list := strings.TrimSuffix(strings.Repeat(item+",", n), ",")
			meta := `{"y":[` + list + `]}`
			params := `{"name":"t","arguments":{},"_meta":` + meta + `}`
			body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":` + params + `}`)
			m, err := Parse(body, 0)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var exMeta map[string]any // exchange.setMessage
			if err := json.Unmarshal(m.Meta, &exMeta); err != nil {
				t.Fatal(err)
			}
			var p mcp.CallToolParamsRaw // what the SDK's internal/json.Unmarshal does with params
			d := sjson.NewDecoder(strings.NewReader(params))
			d.DontMatchCaseInsensitiveStructFields()
			if err := d.Decode(&p); err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			runtime.KeepAlive(exMeta)
			runtime.KeepAlive(&p)
			if DecodeCopies*m.DecodeCost < held {
				t.Errorf("%d × DecodeCost %d < %d bytes held (%.1fx) by the exchange's _meta and the SDK's params (%d bytes of text)",
					DecodeCopies, m.DecodeCost, held, float64(held)/float64(m.DecodeCost), len(body))
			}
		})
	}
}
