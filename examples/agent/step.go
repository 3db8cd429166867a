package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// codeForbidden is tracegate's JSON-RPC error code of a scope denial
// (gateway.CodeForbidden): the body of the HTTP 403, and the whole answer
// on stdio.
const codeForbidden = -32013

// denialData is the data member of tracegate's denial errors.
type denialData struct {
	Reason         string   `json:"reason"`
	RequiredScopes []string `json:"required_scopes"`
	MissingScopes  []string `json:"missing_scopes"`
}

// runStep makes the step's call and reads its result into st.
func (a *Agent) runStep(ctx context.Context, cs *mcp.ClientSession, s step, st *state) StepResult {
	r := StepResult{Tool: s.tool, Why: s.why, Overreach: s.overreach}
	ctx, sink := withChallengeSink(ctx)
	raw, err := callTool(ctx, cs, s.tool, s.args(st))
	r.Challenge = sink.get()
	switch {
	case isDenial(err, r.Challenge):
		r.Outcome, r.Detail = OutcomeDenied, denialDetail(err, r.Challenge)
		if !s.overreach {
			r.Err = fmt.Errorf("%s: %w", s.tool, err)
		}
	case err != nil:
		r.Outcome, r.Detail, r.Err = OutcomeFailed, err.Error(), fmt.Errorf("%s: %w", s.tool, err)
	case s.overreach:
		r.Outcome, r.Detail, r.Err = OutcomeOK, "allowed", fmt.Errorf("%w: %s", ErrNotRefused, s.tool)
	default:
		detail, err := s.read(st, raw)
		if err != nil {
			r.Outcome, r.Detail, r.Err = OutcomeFailed, err.Error(), fmt.Errorf("%s: %w", s.tool, err)
			break
		}
		r.Outcome, r.Detail = OutcomeOK, detail
	}
	return r
}

// isDenial tells a scope denial: a 403 challenge on HTTP, or tracegate's
// forbidden code without one (stdio).
func isDenial(err error, c *Challenge) bool {
	if err == nil {
		return false
	}
	if c != nil && c.Status == http.StatusForbidden {
		return true
	}
	var rpcErr *jsonrpc.Error
	return errors.As(err, &rpcErr) && rpcErr.Code == codeForbidden
}

// denialDetail says what the denial asks for, from the challenge or else
// the JSON-RPC error's data.
func denialDetail(err error, c *Challenge) string {
	if c != nil {
		return fmt.Sprintf("HTTP %d %s: the step-up challenge asks for scope %q (not retried: the user did not ask for it)",
			c.Status, c.Error, c.Scope)
	}
	var rpcErr *jsonrpc.Error
	var d denialData
	if errors.As(err, &rpcErr) && json.Unmarshal(rpcErr.Data, &d) == nil {
		return fmt.Sprintf("JSON-RPC %d %s: missing scope %q (not retried)", rpcErr.Code, d.Reason, strings.Join(d.MissingScopes, " "))
	}
	return err.Error()
}

// callTool calls a tool and returns its result as JSON: the structured
// content, else the first text block. An isError result is ErrToolFailed.
func callTool(ctx context.Context, cs *mcp.ClientSession, name string, args map[string]any) (json.RawMessage, error) {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return nil, err
	}
	text := ""
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = tc.Text
			break
		}
	}
	if res.IsError {
		return nil, fmt.Errorf("%w: %s: %s", ErrToolFailed, name, text)
	}
	if sc, ok := res.StructuredContent.(json.RawMessage); ok && len(sc) > 0 {
		return sc, nil
	}
	if res.StructuredContent != nil {
		if b, err := json.Marshal(res.StructuredContent); err == nil {
			return b, nil
		}
	}
	return json.RawMessage(text), nil
}

// listTools returns every tool the gateway offers this caller, by name.
func listTools(ctx context.Context, cs *mcp.ClientSession) (map[string]*mcp.Tool, error) {
	out := map[string]*mcp.Tool{}
	for t, err := range cs.Tools(ctx, &mcp.ListToolsParams{}) {
		if err != nil {
			return nil, fmt.Errorf("agent: tools/list: %w", err)
		}
		out[t.Name] = t
	}
	return out, nil
}

// missingTools lists the plan's tools not in offered; the overreach's tool
// counts only with overreach (a token without its scope does not see it).
func missingTools(plan []step, offered map[string]*mcp.Tool, overreach bool) []string {
	var out []string
	for _, s := range plan {
		if _, ok := offered[s.tool]; !ok && (!s.overreach || overreach) {
			out = append(out, s.tool)
		}
	}
	return out
}
