package jaegerapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

func TestClientTrace(t *testing.T) {
	recorded := readFile(t, "testdata/trace.json")
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		id        string
		wantFound bool
		wantErr   string // "" : no error
		wantCode  int    // the StatusError's code, 0 : none
	}{
		{"recorded", http.StatusOK, string(recorded), recordedTrace, true, "", 0},
		{"upper-case id", http.StatusOK, string(recorded), strings.ToUpper(recordedTrace), true, "", 0},
		{"short-printed id", http.StatusOK, `{"data":[{"traceID":"8448eb211c80319c"}]}`, "00000000000000008448eb211c80319c", true, "", 0},
		{"another trace", http.StatusOK, string(recorded), "0af7651916cd43dd8448eb211c80319c", false, "", 0},
		{"not stored", http.StatusNotFound, `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`, recordedTrace, false, "", 0},
		{"bad id", http.StatusBadRequest, `{"data":null,"errors":[{"code":400,"msg":"strconv.ParseUint: parsing \"bad\": invalid syntax"}]}`, "bad", false,
			`/api/traces/bad: HTTP 400: strconv.ParseUint`, http.StatusBadRequest},
		{"plain error body cut", http.StatusBadGateway, "upstream " + strings.Repeat("é", 200), recordedTrace, false, "HTTP 502: upstream éé", http.StatusBadGateway},
		{"errors beside 200", http.StatusOK, `{"data":[],"errors":[{"code":500,"msg":"storage down"}]}`, recordedTrace, false, "error 500: storage down", 0},
		{"not JSON", http.StatusOK, `<html>`, recordedTrace, false, "decode:", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeAPI(t, tc.status, []byte(tc.body))
			tr, found, err := srv.client().Trace(context.Background(), tc.id)
			if got := srv.lastURL().Path; got != "/api/traces/"+tc.id {
				t.Errorf("GET %s, want /api/traces/%s", got, tc.id)
			}
			if found != tc.wantFound || (found && jaegerapi.NormalizeID(tr.TraceID) != jaegerapi.NormalizeID(tc.id)) {
				t.Errorf("Trace = %s, found %v; want found %v", tr.TraceID, found, tc.wantFound)
			}
			checkErr(t, err, tc.wantErr, tc.wantCode)
			if err != nil && len(err.Error()) > 400 {
				t.Errorf("error not capped: %d bytes", len(err.Error()))
			}
		})
	}
}

func TestClientFind(t *testing.T) {
	start := time.UnixMicro(1_795_631_370_000_000)
	for _, tc := range []struct {
		name      string
		q         jaegerapi.Query
		status    int
		body      string
		wantQuery string // the encoded query sent
		wantIDs   []string
		wantErr   string
		wantCode  int
	}{
		{"every field", jaegerapi.Query{Service: "comments", Tags: map[string]string{"blog.comment.id": "comment-1"},
			Start: start, End: start.Add(time.Minute), Limit: 100},
			http.StatusOK, `{"data":[{"traceID":"8448eb211c80319c"},{"traceID":"0af7651916cd43dd8448eb211c80319c"}]}`,
			"end=1795631430000000&limit=100&service=comments&start=1795631370000000&tags=%7B%22blog.comment.id%22%3A%22comment-1%22%7D",
			[]string{"8448eb211c80319c", "0af7651916cd43dd8448eb211c80319c"}, "", 0},
		{"operation", jaegerapi.Query{Service: "tracegate", Operation: "tracegate.audit.checkpoint"},
			http.StatusOK, `{"data":[]}`, "operation=tracegate.audit.checkpoint&service=tracegate", nil, "", 0},
		{"zero fields are not sent", jaegerapi.Query{Service: "tracegate", Tags: map[string]string{}},
			http.StatusOK, `{"data":[]}`, "service=tracegate", nil, "", 0},
		{"rejected", jaegerapi.Query{Service: "tracegate"},
			http.StatusBadRequest, `{"data":null,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}`, "service=tracegate",
			nil, "HTTP 400: parameter 'service' is required", http.StatusBadRequest},
		{"no such path", jaegerapi.Query{}, http.StatusNotFound, `404 page not found`, "", nil, "HTTP 404: 404 page not found", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeAPI(t, tc.status, []byte(tc.body))
			got, err := srv.client().Find(context.Background(), tc.q)
			if u := srv.lastURL(); u.Path != "/api/traces" || u.RawQuery != tc.wantQuery {
				t.Errorf("GET %s?%s, want /api/traces?%s", u.Path, u.RawQuery, tc.wantQuery)
			}
			ids := make([]string, 0, len(got))
			for _, tr := range got {
				ids = append(ids, tr.TraceID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("traces %v, want %v", ids, tc.wantIDs)
			}
			checkErr(t, err, tc.wantErr, tc.wantCode)
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		c    *jaegerapi.Client
		want string
	}{
		{"closed port", context.Background(), &jaegerapi.Client{URL: url}, "jaegerapi: Get \"" + url + "/api/traces/"},
		{"cancelled", ctx, &jaegerapi.Client{URL: url}, "context canceled"},
		{"bad URL", context.Background(), &jaegerapi.Client{URL: "http://[::1"}, "jaegerapi: GET http://[::1/api/traces/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, found, err := tc.c.Trace(tc.ctx, recordedTrace)
			if found || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Trace = found %v, %v; want an error containing %q", found, err, tc.want)
			}
		})
	}
}

// checkErr fails t unless err contains want ("" : err is nil) and, for a
// code, wraps a StatusError with it.
func checkErr(t *testing.T, err error, want string, code int) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("error %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	var se *jaegerapi.StatusError
	if got := errors.As(err, &se); got != (code != 0) || (got && se.Code != code) {
		t.Fatalf("error %v: StatusError %+v, want code %d", err, se, code)
	}
}
