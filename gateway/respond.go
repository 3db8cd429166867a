package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/tracegate/tracegate/gateway/reason"
)

// writeJSONRPC writes one JSON-RPC response (a result or an error) with an
// HTTP status. A nil id is written as null (the request's id is unknown).
func writeJSONRPC(w http.ResponseWriter, status int, id []byte, result any, rpcErr *jsonrpc.Error) {
	body, err := encodeAnswer(id, result, rpcErr)
	if err != nil {
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// encodeAnswer encodes one JSON-RPC response. A nil id is encoded as null
// (JSON-RPC 2.0 §5: the id of a request that could not be read). On an
// encoding failure it returns an internal-error answer and the error.
func encodeAnswer(id []byte, result any, rpcErr *jsonrpc.Error) ([]byte, error) {
	if len(id) == 0 {
		id = []byte("null")
	}
	resp := struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  any             `json:"result,omitempty"`
		Error   *jsonrpc.Error  `json:"error,omitempty"`
	}{"2.0", id, result, rpcErr}
	body, err := json.Marshal(resp)
	if err != nil {
		return []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"cannot encode the answer"}}`), err
	}
	return body, nil
}

// heldMax bounds what the interceptor keeps of an answer it inspects.
const heldMax = 8 << 10

// interceptor stands between the MCP SDK and the client. The answer to a
// call is held back until the pipeline has finished with the request (its
// span ended, its audit record written), so a client never sees an answer
// before its evidence exists; long-lived streams (GET, subscriptions/listen,
// 202 for notifications) pass through. Error answers (status >= 400, often
// plain text) are replaced by the gateway's uniform refusal: a JSON-RPC error
// with the request's id and a reason.
type interceptor struct {
	w           http.ResponseWriter
	status      int
	wroteHeader bool
	hold        bool // hold a successful answer until release
	held        bool // an error answer, replaced at finish
	buf         bytes.Buffer
}

func newInterceptor(w http.ResponseWriter, hold bool) *interceptor {
	return &interceptor{w: w, hold: hold}
}

func (i *interceptor) Header() http.Header { return i.w.Header() }

func (i *interceptor) WriteHeader(code int) {
	if i.wroteHeader {
		return
	}
	i.wroteHeader, i.status = true, code
	switch {
	case code >= 400:
		i.held = true
	case i.hold && code != http.StatusAccepted:
	default:
		i.hold = false
		i.w.WriteHeader(code)
	}
}

func (i *interceptor) Write(b []byte) (int, error) {
	if !i.wroteHeader {
		i.WriteHeader(http.StatusOK)
	}
	if i.hold || i.held {
		i.buf.Write(b)
		return len(b), nil
	}
	if room := heldMax - i.buf.Len(); room > 0 {
		i.buf.Write(b[:min(len(b), room)])
	}
	return i.w.Write(b)
}

// Flush passes through for streams that are not held.
func (i *interceptor) Flush() {
	if i.held || i.hold {
		return
	}
	if f, ok := i.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (i *interceptor) Unwrap() http.ResponseWriter { return i.w }

// refusal is the verdict for an answer the SDK gave itself: an error
// status, or a JSON-RPC error to a call that never reached the bridge (the
// SDK refused it before its middleware, e.g. before initialization). nil when
// the SDK answered normally.
func (i *interceptor) refusal(ex *exchange) *verdict {
	switch {
	case i.held:
		return sdkRefusal(i.status, i.buf.Bytes())
	case !ex.bridged() && ex.isCall() && i.status < 300:
		if e := rpcErrorIn(i.buf.Bytes()); e != nil {
			v := refuseWith(rpcErrorReason(e.Code), e.Message)
			if strings.Contains(strings.ToLower(e.Message), "initializ") {
				v.reason = reason.NotInitialized
			}
			return v
		}
	}
	return nil
}

// holding tells whether a successful answer is held back, not yet sent.
func (i *interceptor) holding() bool { return i.hold && i.wroteHeader && !i.held }

// sdkError is the JSON-RPC error in the answer held back, if any.
func (i *interceptor) sdkError() *jsonrpc.Error { return rpcErrorIn(i.buf.Bytes()) }

// release sends a held successful answer (after the chain has finished).
func (i *interceptor) release() {
	if !i.hold || !i.wroteHeader || i.held {
		return
	}
	i.hold = false
	i.w.WriteHeader(i.status)
	_, _ = i.w.Write(i.buf.Bytes())
}

// finish replaces a held error answer by the gateway's refusal.
func (i *interceptor) finish(ex *exchange) {
	ex.answered = i.wroteHeader
	if !i.held || ex.verdict == nil {
		return
	}
	status, _ := ex.verdict.answer(ex.modern)
	if i.status != http.StatusForbidden { // the SDK's 403 is a foreign session: answered as 404
		status = i.status
	}
	id := ex.rawID()
	if id == nil {
		id = ex.errID
	}
	writeJSONRPC(i.w, status, id, nil, keepSDKError(rpcErrorIn(i.buf.Bytes()), ex.verdict))
}

// keepSDKError is the answer to a refusal the SDK wrote as a JSON-RPC
// error: its code, message and data (e.g. the supported protocol versions
// of -32022) stay, and the data gains the verdict's reason. A plain-text
// refusal becomes the verdict's own error.
func keepSDKError(sdk *jsonrpc.Error, v *verdict) *jsonrpc.Error {
	own := v.rpcError()
	if sdk == nil {
		return own
	}
	out := &jsonrpc.Error{Code: sdk.Code, Message: sdk.Message, Data: own.Data}
	if sdk.Code == 0 { // not a JSON-RPC code (a plain error the SDK passed on)
		out.Code = own.Code
	}
	var data map[string]any
	if len(sdk.Data) > 0 && json.Unmarshal(sdk.Data, &data) == nil && data != nil {
		data["reason"] = v.reason
		out.Data, _ = json.Marshal(data)
	}
	return out
}

// sdkRefusal maps an error answer of the SDK (JSON-RPC or plain text) to a
// verdict.
func sdkRefusal(status int, body []byte) *verdict {
	if e := rpcErrorIn(body); e != nil {
		v := refuseWith(rpcErrorReason(e.Code), e.Message)
		if status == http.StatusNotFound && e.Code != jsonrpc.CodeMethodNotFound {
			v.reason = reason.SessionNotFound
		}
		return v
	}
	text := strings.TrimSpace(string(body))
	low := strings.ToLower(text)
	why := reason.InvalidRequest
	switch {
	case status == http.StatusNotFound, status == http.StatusForbidden && strings.Contains(low, "session"):
		why, text = reason.SessionNotFound, "session not found"
	case status == http.StatusForbidden:
		why = reason.OriginNotAllowed
	case status == http.StatusMethodNotAllowed:
		why = reason.MethodNotAllowed
	case status == http.StatusUnsupportedMediaType:
		why = reason.UnsupportedMediaType
	case status == http.StatusRequestEntityTooLarge:
		why = reason.BodyTooLarge
	case strings.Contains(low, "accept must"):
		why = reason.NotAcceptable
	case strings.Contains(low, "protocol version"):
		why = reason.UnsupportedProtocolVersion
	case strings.Contains(low, "session id") || strings.Contains(low, "initializ"):
		why = reason.NotInitialized
	case strings.Contains(low, "header"):
		why = reason.HeaderMismatch
	case status >= 500:
		why = reason.Internal
	}
	return refuseWith(why, capString(text, 512))
}

// rpcErrorIn finds the error of a JSON-RPC response in a JSON body or the
// first server-sent event.
func rpcErrorIn(body []byte) *jsonrpc.Error {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] != '{' {
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 0, 4096), heldMax)
		body = nil
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				body = []byte(strings.TrimSpace(d))
				break
			}
		}
	}
	var resp struct {
		Error *jsonrpc.Error `json:"error"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return nil
	}
	return resp.Error
}
