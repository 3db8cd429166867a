package authserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/tracegate/tracegate/examples/authserver"
)

// A client_credentials token for the demo agent, narrowed to blog:read and
// tagged with the user message it serves.
func ExampleNew() {
	cfg := authserver.DefaultConfig() // demo-agent / demo-secret, issuer http://127.0.0.1:9090
	srv, err := authserver.New(cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println("token endpoint:", srv.Metadata().TokenEndpoint)

	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"blog:read"}, "intent": {"msg-1"}}
	req := httptest.NewRequest(http.MethodPost, authserver.TokenPath, strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-agent", "demo-secret")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), strings.Contains(rec.Body.String(), `"scope":"blog:read"`))

	req = httptest.NewRequest(http.MethodPost, authserver.TokenPath, strings.NewReader("grant_type=client_credentials&scope=blog:admin"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-agent", "demo-secret")
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// token endpoint: http://127.0.0.1:9090/token
	// 200 no-store true
	// 400 {"error":"invalid_scope","error_description":"scope \"blog:admin\" is not allowed for client demo-agent"}
}
