package wire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/internal/wire"
)

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, body             string
		method, tool, id, args string
	}{
		{"tools/call", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a.B.C","arguments":{"x":1}}}`,
			"tools/call", "a.B.C", "7", `{"x":1}`},
		{"string id and whitespace", " \n{ \"jsonrpc\" : \"2.0\", \"id\" : \"q\" , \"method\":\"ping\" }\r\n\t",
			"ping", "", "q", ""},
		{"escaped names", `{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"n\u0061me":"\u0074","arguments":{}}}`,
			"tools/call", "t", "1", `{}`},
		{"notification", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, "notifications/initialized", "", "", ""},
		{"same key in different objects", `{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":{"k":1},"b":{"k":2}}}`, "m", "", "1", ""},
		{"unicode ok", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"é","arguments":{"s":"😀 \ud83d\ude00"}}}`,
			"tools/call", "é", "1", `{"s":"😀 \ud83d\ude00"}`},
		{"params array", `{"jsonrpc":"2.0","id":1,"method":"m","params":[1,2]}`, "m", "", "1", ""},
		{"different-case keys in a nested non-protocol object", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{"x":{"A":1,"a":2}}}}`,
			"initialize", "", "1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.Parse([]byte(tc.body), 0)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Method != tc.method || m.Name != tc.tool || m.IDText() != tc.id || string(m.Arguments) != tc.args {
				t.Fatalf("got method %q tool %q id %q args %q", m.Method, m.Name, m.IDText(), m.Arguments)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70)
	call := func(params string) string {
		return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":` + params + `}`
	}
	for _, tc := range []struct {
		name, body string
		kind       wire.Kind
	}{
		{"case-variant method beside method", `{"jsonrpc":"2.0","id":2,"method":"tools/call","Method":"ping","params":{"name":"x"}}`, wire.KindInvalid},
		{"case-variant method alone", `{"jsonrpc":"2.0","id":2,"METHOD":"tools/call"}`, wire.KindInvalid},
		{"duplicate method", `{"jsonrpc":"2.0","id":2,"method":"ping","method":"tools/call"}`, wire.KindInvalid},
		{"duplicate via escape", `{"jsonrpc":"2.0","id":2,"method":"ping","m\u0065thod":"tools/call"}`, wire.KindInvalid},
		{"NAME beside name", call(`{"name":"users.Users.Create","NAME":"users.Users.List"}`), wire.KindInvalid},
		{"Kelvin-sign variant", call(`{"name":"a","arguments":{},"_meta":{"\u212Aey":1,"key":2}}`), wire.KindInvalid},
		{"duplicate name", call(`{"name":"a","name":"b"}`), wire.KindInvalid},
		{"Arguments variant", call(`{"name":"a","Arguments":{"x":1}}`), wire.KindInvalid},
		{"_META variant", call(`{"name":"a","_META":{}}`), wire.KindInvalid},
		{"meta traceparent variant", call(`{"name":"a","_meta":{"traceparent":"x","TraceParent":"y"}}`), wire.KindInvalid},
		{"duplicate deep in arguments", call(`{"name":"a","arguments":{"o":{"k":1,"k":2}}}`), wire.KindInvalid},
		{"duplicate jsonrpc", `{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"ping"}`, wire.KindInvalid},
		{"batch", `[` + call(`{"name":"a"}`) + `]`, wire.KindInvalid},
		{"empty batch", `[]`, wire.KindInvalid},
		{"string message", `"hello"`, wire.KindInvalid},
		{"trailing data", call(`{"name":"a"}`) + ` x`, wire.KindSyntax},
		{"two messages", call(`{"name":"a"}`) + call(`{"name":"b"}`), wire.KindSyntax},
		{"invalid utf-8 in value", call(`{"name":"a","arguments":{"s":"` + "\xff" + `"}}`), wire.KindSyntax},
		{"invalid utf-8 in name", call(`{"name":"a` + "\xc3\x28" + `"}`), wire.KindSyntax},
		{"lone surrogate", call(`{"name":"a","arguments":{"s":"\ud800"}}`), wire.KindSyntax},
		{"control character", call(`{"name":"a` + "\x01" + `"}`), wire.KindSyntax},
		{"not json", `hello`, wire.KindSyntax},
		{"empty", ``, wire.KindSyntax},
		{"truncated", call(`{"name":"a"`), wire.KindSyntax},
		{"bad number", call(`{"name":"a","arguments":{"n":01}}`), wire.KindSyntax},
		{"too deep", `{"jsonrpc":"2.0","id":1,"method":"m","params":{"x":` + deep + `}}`, wire.KindTooDeep},
		{"no jsonrpc", `{"id":1,"method":"ping"}`, wire.KindInvalid},
		{"wrong jsonrpc", `{"jsonrpc":"1.0","id":1,"method":"ping"}`, wire.KindInvalid},
		{"method not a string", `{"jsonrpc":"2.0","id":1,"method":7}`, wire.KindInvalid},
		{"name not a string", call(`{"name":["a"]}`), wire.KindInvalid},
		{"id an object", `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, wire.KindInvalid},
		{"params a string", `{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}`, wire.KindInvalid},
		{"meta not an object", call(`{"name":"a","_meta":[]}`), wire.KindInvalid},
		{"request and response", `{"jsonrpc":"2.0","id":1,"method":"ping","result":{}}`, wire.KindInvalid},
		{"no method", `{"jsonrpc":"2.0","id":1}`, wire.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.Parse([]byte(tc.body), 0)
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("Parse = %+v, %v; want a *wire.Error", m, err)
			}
			if we.Kind != tc.kind {
				t.Fatalf("kind %d (%v), want %d", we.Kind, err, tc.kind)
			}
		})
	}
}

func TestParseErrorCarriesID(t *testing.T) {
	_, err := wire.Parse([]byte(`{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"name":"a","NAME":"b"}}`), 0)
	var we *wire.Error
	if !errors.As(err, &we) || string(we.ID) != `"abc"` {
		t.Fatalf("error %v, id %q", err, we.ID)
	}
	if !errors.Is(err, wire.ErrInvalid) || errors.Is(err, wire.ErrSyntax) {
		t.Fatalf("errors.Is wrong for %v", err)
	}
}

func TestArgumentsFaultAndNumbers(t *testing.T) {
	m, err := wire.Parse([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"limit":1,"LIMIT":1e9}}}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.ArgsFault == nil {
		t.Fatal("case collision inside arguments not reported")
	}
	m, err = wire.Parse([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1.0,"b":[2,3e0],"c/d":{"e~":-0.5},"i":4}}}`), 0)
	if err != nil || m.ArgsFault != nil {
		t.Fatal(err, m.ArgsFault)
	}
	var got []string
	for _, n := range m.NonIntegerNumbers {
		got = append(got, n.Pointer+"="+string(m.Body[n.Start:n.End]))
	}
	if want := "/a=1.0 /b/1=3e0 /c~1d/e~0=-0.5"; strings.Join(got, " ") != want {
		t.Fatalf("numbers %q, want %q", got, want)
	}
	if segs := wire.Segments("/c~1d/e~0"); len(segs) != 2 || segs[0] != "c/d" || segs[1] != "e~" {
		t.Fatalf("Segments = %q", segs)
	}
}

func TestWithArguments(t *testing.T) {
	m, err := wire.Parse([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1.0}}}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	got := m.WithArguments([]byte(`{"a":1}`))
	if want := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{"a":1}}}`; string(got) != want {
		t.Fatalf("%s", got)
	}
	if &m.WithArguments(m.Arguments)[0] != &m.Body[0] {
		t.Fatal("unchanged arguments must return the body itself")
	}
}

func TestManyKeysUseAMap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{`)
	for i := range 5000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i) + `":1`)
	}
	b.WriteString(`,"ka0":2}}}`) // a duplicate of the first key, after the switch to a map
	_, err := wire.Parse([]byte(b.String()), 0)
	if !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("duplicate after 5000 keys: %v", err)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// FuzzParse checks the invariant behind "one request, one parse": whenever
// Parse accepts a body, encoding/json (case-insensitive, last duplicate
// wins) and the go-sdk's own decoder read the same method, id, tool name
// and argument bytes from it. Two readers can then never disagree about
// which tool a request calls.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"posts.Posts.Delete","arguments":{"id":"post-1"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","Method":"ping","params":{"name":"x"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a","NAME":"b"}}`,
		`{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"a","arguments":{"k":1,"K":2}}} x`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\u0061me":"a","arguments":{"x":[1.5e3,{"y":null}]}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized","params":{"_meta":{"traceparent":"00-x"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := wire.Parse(body, 16)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) || we.Kind < wire.KindSyntax || we.Kind > wire.KindTooDeep {
				t.Fatalf("error %v is not a classified *wire.Error", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var loose struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			} `json:"params"`
		}
		if m.Params == nil || m.Params[0] == '{' {
			if err := json.Unmarshal(body, &loose); err != nil {
				t.Fatalf("encoding/json refused an accepted message %q: %v", body, err)
			}
			if loose.Method != m.Method || loose.Params.Name != m.Name || !bytes.Equal(loose.Params.Arguments, m.Arguments) {
				t.Fatalf("encoding/json reads %q/%q/%s, Parse %q/%q/%s", loose.Method, loose.Params.Name, loose.Params.Arguments, m.Method, m.Name, m.Arguments)
			}
		}
		msg, err := jsonrpc.DecodeMessage(body)
		if err != nil {
			return // the SDK is stricter on some shapes (e.g. id types); it then refuses, never misreads
		}
		req, ok := msg.(*jsonrpc.Request)
		if !ok {
			if !m.IsResponse {
				t.Fatalf("SDK reads a response, Parse a request: %q", body)
			}
			return
		}
		if req.Method != m.Method {
			t.Fatalf("SDK method %q, Parse %q", req.Method, m.Method)
		}
		if m.Method == "tools/call" && m.Params != nil && m.Params[0] == '{' {
			var p mcp.CallToolParamsRaw
			if err := json.Unmarshal(req.Params, &p); err == nil && (p.Name != m.Name || !bytes.Equal(p.Arguments, m.Arguments)) {
				t.Fatalf("SDK params name %q args %s, Parse %q %s", p.Name, p.Arguments, m.Name, m.Arguments)
			}
		}
	})
}
