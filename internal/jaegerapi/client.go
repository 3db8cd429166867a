package jaegerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultTimeout bounds a request of a [Client] without its own HTTP client.
const DefaultTimeout = 30 * time.Second

// maxBody caps an answer of the query API (a search for 100 large traces
// stays well below it).
const maxBody = 64 << 20

// maxMsg caps the error text quoted from an answer.
const maxMsg = 200

// Client reads traces from the Jaeger query API at URL.
type Client struct {
	// URL is the query API's base, e.g. http://127.0.0.1:16686.
	URL string
	// HTTP sends the requests; nil is a client with [DefaultTimeout].
	HTTP *http.Client
}

// Query is a trace search: traces of Service with a span named Operation
// whose spans (tags, span-log fields or process tags) carry every tag in
// Tags, started between Start and End, at most Limit of them. Zero fields
// are not sent.
type Query struct {
	Service    string
	Operation  string
	Tags       map[string]string
	Start, End time.Time
	Limit      int
}

// StatusError is an answer other than 200 (but a 404 of [Client.Trace]).
// Msg is the API's own error message, else the start of the body.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Code, e.Msg) }

// Trace fetches the trace with that hex id; found is false while Jaeger does
// not have it.
func (c *Client) Trace(ctx context.Context, id string) (tr Trace, found bool, err error) {
	data, err := c.get(ctx, "/api/traces/"+url.PathEscape(id))
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return Trace{}, false, nil
	case err != nil:
		return Trace{}, false, err
	}
	for _, tr := range data {
		if NormalizeID(tr.TraceID) == NormalizeID(id) {
			return tr, true, nil
		}
	}
	return Trace{}, false, nil
}

// Find runs the search q and returns the traces found.
func (c *Client) Find(ctx context.Context, q Query) ([]Trace, error) {
	v := url.Values{}
	if q.Service != "" {
		v.Set("service", q.Service)
	}
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	if !q.Start.IsZero() {
		v.Set("start", strconv.FormatInt(q.Start.UnixMicro(), 10))
	}
	if !q.End.IsZero() {
		v.Set("end", strconv.FormatInt(q.End.UnixMicro(), 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(q.Tags) > 0 {
		raw, err := json.Marshal(q.Tags)
		if err != nil {
			return nil, fmt.Errorf("jaegerapi: encode tags: %w", err)
		}
		v.Set("tags", string(raw))
	}
	return c.get(ctx, "/api/traces?"+v.Encode())
}

// envelope is every answer of the query API.
type envelope struct {
	Data   []Trace `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

func (c *Client) url(path string) string { return strings.TrimRight(c.URL, "/") + path }

// get fetches path (with its query) and decodes the envelope, numbers as
// json.Number.
func (c *Client) get(ctx context.Context, path string) ([]Trace, error) {
	u := c.url(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("jaegerapi: GET %s: %w", u, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	rsp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jaegerapi: %w", err) // *url.Error names the method and URL
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(rsp.Body, maxBody+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("jaegerapi: GET %s: read body: %w", u, err)
	case len(body) > maxBody:
		return nil, fmt.Errorf("jaegerapi: GET %s: answer larger than %d MiB", u, maxBody>>20)
	}
	var out envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	derr := dec.Decode(&out)
	if rsp.StatusCode != http.StatusOK {
		msg := string(body)
		if derr == nil && len(out.Errors) > 0 {
			msg = out.Errors[0].Msg
		}
		return nil, fmt.Errorf("jaegerapi: GET %s: %w", u, &StatusError{Code: rsp.StatusCode, Msg: cut(msg)})
	}
	if derr != nil {
		return nil, fmt.Errorf("jaegerapi: GET %s: decode: %w", u, derr)
	}
	if len(out.Errors) > 0 {
		return nil, fmt.Errorf("jaegerapi: GET %s: error %d: %s", u, out.Errors[0].Code, cut(out.Errors[0].Msg))
	}
	return out.Data, nil
}

// cut trims s and caps it at maxMsg bytes on a rune boundary.
func cut(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= maxMsg {
		return s
	}
	n := maxMsg
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
