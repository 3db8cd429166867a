package jaegerapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tracegate/tracegate/internal/jaegerapi"
)

// Client.Trace fetches a trace; the Trace methods read it.
func ExampleClient_Trace() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"data":[{"traceID":"8448eb211c80319c",
			"processes":{"p1":{"serviceName":"tracegate"},"p2":{"serviceName":"posts"}},
			"spans":[
			  {"spanID":"a","operationName":"tools/call posts.Posts.Read","processID":"p1",
			   "tags":[{"key":"span.kind","type":"string","value":"server"}],
			   "logs":[{"timestamp":1,"fields":[{"key":"event","type":"string","value":"tracegate.authz.decision"},
			                                   {"key":"tracegate.authz.decision","type":"string","value":"allow"}]}]},
			  {"spanID":"b","operationName":"posts/Posts.Read","processID":"p2","startTime":2,
			   "references":[{"refType":"CHILD_OF","spanID":"a"}],
			   "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"rpc.grpc.status_code","type":"int64","value":0}]}]}]}`)
	}))
	defer srv.Close()

	c := &jaegerapi.Client{URL: srv.URL, HTTP: srv.Client()}
	tr, found, err := c.Trace(context.Background(), "00000000000000008448eb211c80319c")
	if err != nil || !found {
		fmt.Println(found, err)
		return
	}
	s, _ := tr.SpanBy("posts", "", jaegerapi.KindServer)
	p, _ := tr.Parent(s)
	code, _ := s.Tag("rpc.grpc.status_code")
	fmt.Println(tr.Service(s), "under", tr.Service(p), "status", code, "complete", tr.Complete())
	fmt.Println(p.Events()[0].Fields)
	fmt.Print(tr)
	// Output:
	// posts under tracegate status 0 complete true
	// map[tracegate.authz.decision:allow]
	// trace 8448eb211c80319c (2 spans)
	//   tracegate tools/call posts.Posts.Read [server] a events=[tracegate.authz.decision]
	//     posts posts/Posts.Read [server] b events=[]
}

// TraceURL links to the Jaeger UI's trace page, or fills in a URL with
// {trace_id} for a Jaeger without its UI.
func ExampleTraceURL() {
	id := "4bf92f3577b34da6a3ce929d0e0e4736"
	fmt.Println(jaegerapi.TraceURL("http://127.0.0.1:16686/", id))
	fmt.Println(jaegerapi.TraceURL("http://127.0.0.1:16686/api/v3/traces/{trace_id}", id))
	fmt.Println(jaegerapi.TraceURL("http://127.0.0.1:8080/console/message?q={trace_id}", id))
	fmt.Printf("%q\n", jaegerapi.TraceURL("", id))
	// Output:
	// http://127.0.0.1:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736
	// http://127.0.0.1:16686/api/v3/traces/4bf92f3577b34da6a3ce929d0e0e4736
	// http://127.0.0.1:8080/console/message?q=4bf92f3577b34da6a3ce929d0e0e4736
	// ""
}
