package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/internal/wire"
	"github.com/tracegate/tracegate/gateway/reason"
)

// ServeStdio serves MCP over newline-delimited JSON-RPC on in/out (the
// process's stdin/stdout for `tracegate serve --stdio`, or any pipe) until
// ctx ends or the client closes in. Each line is one message, parsed once
// like an HTTP body and run through the same pipeline; a line that cannot be
// admitted (not JSON, trailing data, a batch, too long, a request reusing
// the id of one in flight) is answered with an error (id null when it could
// not be read) and the server keeps serving.
//
// Every line is accounted exactly once, whatever the MCP SDK does with it:
//   - a line refused here is audited here (and answered, unless it is a
//     notification);
//   - a notification is admitted and audited here, as the HTTP front does,
//     before the SDK gets it: the SDK drops some notifications before any
//     middleware runs, without a trace (an unknown method, params it cannot
//     decode, a cancellation it cannot read, a connection closing), so no
//     step after this one could promise it a record. [checkNotification]
//     refuses the ones it is known to drop, so their record is a deny with
//     its reason; the bridge only forwards the notifications handed over.
//     What the SDK's handler then does with an admitted notification (it
//     ignores a repeated notifications/initialized) does not change its
//     record, as over HTTP, where the SDK handles it after the 202;
//   - a call is handed to the SDK only when no call with the same id is in
//     flight (the SDK would drop the duplicate before any middleware, and
//     the answer of the first could be matched to the second): the chain
//     runs in the bridge, or, for a call the SDK refuses before the bridge,
//     when its answer is written.
func (g *Gateway) ServeStdio(ctx context.Context, in io.ReadCloser, out io.WriteCloser) error {
	return g.server.Run(ctx, &lineTransport{g: g, in: in, out: out})
}

// lineTransport is an mcp.Transport whose connection parses each line with
// the gateway's one strict parse and hands the SDK the parsed message with
// its exchange.
type lineTransport struct {
	g   *Gateway
	in  io.ReadCloser
	out io.WriteCloser
}

func (t *lineTransport) Connect(context.Context) (mcp.Connection, error) {
	return &lineConn{g: t.g, in: t.in, out: t.out, r: bufio.NewReaderSize(t.in, 64<<10),
		pending: map[string]*exchange{}}, nil
}

type lineConn struct {
	g   *Gateway
	in  io.ReadCloser
	out io.WriteCloser
	r   *bufio.Reader

	wmu sync.Mutex
	mu  sync.Mutex
	// pending are the calls handed to the SDK, by id ([idKey]), until their
	// answer is written: the ids in flight. An id enters before the SDK sees
	// the call and leaves after the SDK has forgotten it (it does so before
	// writing the answer), so the SDK never meets an id already in use.
	pending map[string]*exchange
	closeMu sync.Once
}

var _ mcp.Connection = (*lineConn)(nil)

func (c *lineConn) SessionID() string { return "" }

// Read returns the next admitted message; lines refused before the SDK are
// answered and audited here, notifications are audited here.
func (c *lineConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	limit := c.g.opts.Config.MaxBodyBytes
	for {
		line, tooLong, err := readLine(c.r, limit)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 && !tooLong {
			continue
		}
		ex := newExchange(transportStdio)
		c.g.admitter.authenticate(ctx, ex, c.g.opts.StdioToken, nil)
		switch {
		case tooLong:
			ex.refuse(refuseWith(reason.BodyTooLarge, fmt.Sprintf("message exceeds %d bytes", limit)))
		case ex.authErr == nil:
			c.parse(ex, line)
		}
		if ex.verdict != nil || ex.authErr != nil {
			c.refuseLine(ctx, ex)
			continue
		}
		if !ex.isCall() {
			if msg := c.notification(ctx, ex); msg != nil {
				return msg, nil
			}
			continue
		}
		msg, err := c.call(ex)
		if err != nil {
			ex.refuse(refuseWith(reason.InvalidRequest, err.Error()))
			c.refuseLine(ctx, ex)
			continue
		}
		return msg, nil
	}
}

func (c *lineConn) parse(ex *exchange, line []byte) {
	m, err := wire.Parse(line, c.g.opts.Config.MaxJSONDepth)
	if err != nil {
		var we *wire.Error
		errors.As(err, &we)
		ex.errID = we.ID
		why := reason.InvalidRequest
		switch we.Kind {
		case wire.KindSyntax:
			why = reason.ParseError
		case wire.KindTooDeep:
			why = reason.NestingTooDeep
		}
		ex.refuse(refuseWith(why, we.Msg))
		return
	}
	ex.setMessage(m)
	if v := checkMessage(ex); v != nil {
		ex.refuse(v)
	}
}

// notification runs the chain for a notification here, before the SDK
// gets it (see [Gateway.ServeStdio]): its one span, decision event and
// audit record are written now, and only an admitted notification is handed
// over, as a copy ([exchange.forSDK]) that the bridge forwards without
// running the chain again. A refused notification gets no answer.
func (c *lineConn) notification(ctx context.Context, ex *exchange) *jsonrpc.Request {
	c.g.chain.run(ctx, ex, func(context.Context, *exchange) {})
	ex.done()
	if ex.verdict != nil {
		return nil
	}
	return request(ex.forSDK())
}

// errIDInUse refuses a call whose id is the id of a call in flight.
var errIDInUse = errors.New("duplicate in-flight request ID")

// call builds the SDK's request for a call and records its id as in
// flight; a call whose id is in flight already is refused (errIDInUse)
// and the call in flight keeps its exchange and its answer. Ids are equal
// as the SDK compares them: 7 and "7" differ, "7" and "\u0037" do not.
func (c *lineConn) call(ex *exchange) (*jsonrpc.Request, error) {
	id, err := makeID(ex.msg.ID)
	if err != nil {
		return nil, err
	}
	key := idKey(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[key] != nil {
		return nil, fmt.Errorf("%w %s", errIDInUse, capString(string(ex.msg.ID), maxToolName))
	}
	c.pending[key] = ex
	req := request(ex)
	req.ID = id
	return req, nil
}

// request builds the SDK's request from the one parse, with the exchange.
func request(ex *exchange) *jsonrpc.Request {
	ex.handedArgs = ex.msg.Arguments
	return &jsonrpc.Request{Method: ex.msg.Method, Params: json.RawMessage(ex.msg.Params),
		Extra: &mcp.RequestExtra{TokenInfo: ex.tokenInfo()}}
}

// refuseLine runs the chain for a line refused before the SDK (so it has a
// span, a decision event and an audit record) and answers it.
func (c *lineConn) refuseLine(ctx context.Context, ex *exchange) {
	c.g.chain.run(ctx, ex, func(context.Context, *exchange) {})
	defer ex.done()
	if ex.msg != nil && !ex.isCall() {
		return // a refused notification gets no answer
	}
	id := ex.rawID()
	if id == nil {
		id = ex.errID
	}
	var line []byte
	if ex.verdict.isToolResult() {
		line, _ = encodeAnswer(id, ex.verdict.toolResult(), nil)
	} else {
		line, _ = encodeAnswer(id, nil, ex.verdict.rpcError())
	}
	if err := c.writeLine(line); err != nil {
		c.g.opts.Logger.Printf("stdio: answer: %v", err)
	}
}

// Write sends msg as one line. An answer to a call the SDK refused before
// the pipeline's bridge ran is audited first.
func (c *lineConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if resp, ok := msg.(*jsonrpc.Response); ok && resp.ID.IsValid() {
		key := idKey(resp.ID)
		c.mu.Lock()
		ex := c.pending[key]
		delete(c.pending, key)
		c.mu.Unlock()
		if ex != nil && !ex.bridged() && resp.Error != nil {
			// The SDK answered before the pipeline ran (a refusal of its own,
			// a call cancelled while queued, a call before initialize): the
			// request is a refusal, audited here. A plain error would go out
			// with code 0, which JSON-RPC does not define: it gets the
			// refusal's code, and the reason in data either way.
			var we *jsonrpc.Error
			why := reason.InvalidRequest
			if errors.As(resp.Error, &we) {
				why = rpcErrorReason(we.Code)
			} else {
				we = &jsonrpc.Error{Message: resp.Error.Error()}
				if strings.Contains(we.Message, "during session initialization") {
					why = reason.NotInitialized
				}
			}
			v := refuseWith(why, we.Message)
			ex.refuse(v)
			c.g.chain.run(ctx, ex, func(context.Context, *exchange) {})
			answer := *resp
			answer.Error = keepSDKError(we, v)
			msg = &answer
		}
		if ex != nil {
			ex.done()
		}
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return fmt.Errorf("stdio: encode: %w", err)
	}
	return c.writeLine(data)
}

func (c *lineConn) writeLine(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.out.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("stdio: write: %w", err)
	}
	return nil
}

func (c *lineConn) Close() error {
	var err error
	c.closeMu.Do(func() { err = errors.Join(c.in.Close(), c.out.Close()) })
	return err
}

// readLine reads one line of at most limit bytes; a longer line is consumed
// to its end and reported as tooLong.
func readLine(r *bufio.Reader, limit int64) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if int64(len(line)+len(chunk)) > limit {
			tooLong, line = true, nil
		} else if !tooLong {
			line = append(line, chunk...)
		}
		switch {
		case err == nil:
			return line, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(line) > 0 || tooLong):
			return line, tooLong, nil
		default:
			return nil, false, err
		}
	}
}

// makeID turns a raw JSON-RPC id (string or integer) into the SDK's ID.
func makeID(raw []byte) (jsonrpc.ID, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return jsonrpc.ID{}, err
		}
		return jsonrpc.MakeID(s)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n > 1<<53 || n < -(1<<53) {
		// The SDK carries numeric ids as float64: beyond 2^53 an answer
		// would name another id.
		return jsonrpc.ID{}, errors.New("id must be a string or an integer within ±2^53")
	}
	return jsonrpc.MakeID(float64(n))
}

// idKey identifies an id among the connection's pending calls.
func idKey(id jsonrpc.ID) string {
	b, _ := json.Marshal(id.Raw())
	return string(b)
}
