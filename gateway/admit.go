package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// internalAdmissionHeader carries, from the HTTP front to the pipeline, the
// key of the admission the front computed. Clients cannot set it: the front
// removes any copy, and keys are random.
const internalAdmissionHeader = "Tracegate-Internal-Admission"

// admissions hands HTTP admissions from the front handler to the
// middleware. Entries live for the duration of one HTTP request.
type admissions struct {
	m sync.Map
}

func (s *admissions) put(a admission) (key string, release func()) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	key = hex.EncodeToString(b[:])
	s.m.Store(key, a)
	return key, func() { s.m.Delete(key) }
}

func (s *admissions) get(key string) (admission, bool) {
	if key == "" {
		return admission{}, false
	}
	v, ok := s.m.Load(key)
	if !ok {
		return admission{}, false
	}
	return v.(admission), true
}

// admitMiddleware is steps 2-4 of the pipeline (authenticate, authorize,
// limit) as MCP middleware. On HTTP the front handler already decided and
// refused what it had to; here its admission is picked up so that the
// decision events land on the request's span. On stdio the same decision
// functions run here. tools/list is filtered to the tools the caller may
// call.
func (g *Gateway) admitMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		c := callFrom(ctx)
		if c.Info.Transport == transportHTTP {
			a, ok := g.admissions.get(c.Info.Header.Get(internalAdmissionHeader))
			if !ok {
				if method == methodToolsCall {
					// Fail closed: an HTTP call must have passed the front.
					return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "admission missing"}
				}
				a = admission{Principal: anonymous}
			}
			c.Admission = a
		} else {
			c.Admission = g.admitter.admit(ctx, c.Info, g.opts.StdioToken, nil)
		}
		c.Entry = c.Admission.Entry
		emitAdmission(ctx, g.emitter, c)
		if c.Admission.err() != nil {
			return nil, rpcDenial(c.Admission)
		}
		res, err := next(ctx, method, req)
		if lr, ok := res.(*mcp.ListToolsResult); ok && err == nil && lr != nil {
			g.filterTools(c, lr)
		}
		return res, err
	}
}

// filterTools drops the tools the caller may not call from a tools/list page.
func (g *Gateway) filterTools(c *call, lr *mcp.ListToolsResult) {
	kept := lr.Tools[:0]
	for _, t := range lr.Tools {
		if e, ok := g.catalog.lookup(t.Name); ok && !g.admitter.canList(c.Admission.Principal, e) {
			continue
		}
		kept = append(kept, t)
	}
	lr.Tools = kept
}
