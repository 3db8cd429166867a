package authserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tracegate/tracegate/examples/authserver"
)

// TestDynamicRegistration: RFC 7591 registration makes a public client for
// the authorization code flow; hostile or unusable metadata is refused with
// the RFC 7591 §3.2.2 error codes.
func TestDynamicRegistration(t *testing.T) {
	_, ts := startServer(t, authserver.Config{})
	many := `"https://a.example/1"` + strings.Repeat(`,"https://a.example/1"`, 10)
	for _, tc := range []struct {
		name string
		body string
		code string // "" means 201
	}{
		{"loopback, any port later", `{"redirect_uris":["http://127.0.0.1/cb"]}`, ""},
		{"IPv6 loopback", `{"redirect_uris":["http://[::1]:3000/cb"]}`, ""},
		{"localhost", `{"redirect_uris":["http://localhost:6274/oauth/callback"]}`, ""},
		{"https", `{"redirect_uris":["https://vscode.dev/redirect"],"client_name":"Visual Studio Code"}`, ""},
		{"private-use scheme", `{"redirect_uris":["cursor://anysphere.cursor-retrieval/oauth/callback"]}`, ""},
		{"TS SDK style", `{"redirect_uris":["http://localhost:8090/callback"],"grant_types":["authorization_code","refresh_token"],` +
			`"response_types":["code"],"token_endpoint_auth_method":"none","client_name":"x","scope":"blog:read"}`, ""},
		{"secret method replaced by none", `{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"client_secret_basic"}`, ""},
		{"unknown members ignored", `{"redirect_uris":["http://127.0.0.1/cb"],"logo_uri":"https://x.example/l.png","software_id":"s"}`, ""},

		{"no redirect URIs", `{"client_name":"x"}`, "invalid_client_metadata"},
		{"empty redirect URIs", `{"redirect_uris":[]}`, "invalid_client_metadata"},
		{"too many redirect URIs", `{"redirect_uris":[` + many + `]}`, "invalid_client_metadata"},
		{"http on a public host", `{"redirect_uris":["http://client.example/cb"]}`, "invalid_redirect_uri"},
		{"http on a private address", `{"redirect_uris":["http://10.0.0.1/cb"]}`, "invalid_redirect_uri"},
		{"javascript", `{"redirect_uris":["javascript:alert(1)"]}`, "invalid_redirect_uri"},
		{"data", `{"redirect_uris":["data:text/html,hi"]}`, "invalid_redirect_uri"},
		{"relative", `{"redirect_uris":["/cb"]}`, "invalid_redirect_uri"},
		{"fragment", `{"redirect_uris":["https://a.example/cb#x"]}`, "invalid_redirect_uri"},
		{"user info", `{"redirect_uris":["https://u:p@a.example/cb"]}`, "invalid_redirect_uri"},
		{"huge redirect URI", `{"redirect_uris":["https://a.example/` + strings.Repeat("a", 2100) + `"]}`, "invalid_redirect_uri"},
		{"client credentials", `{"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["client_credentials"]}`, "invalid_client_metadata"},
		{"implicit", `{"redirect_uris":["http://127.0.0.1/cb"],"response_types":["token"]}`, "invalid_client_metadata"},
		{"private_key_jwt", `{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, "invalid_client_metadata"},
		{"control character in name", `{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"a\u0007b"}`, "invalid_client_metadata"},
		{"long name", `{"redirect_uris":["http://127.0.0.1/cb"],"client_name":"` + strings.Repeat("n", 201) + `"}`, "invalid_client_metadata"},
		{"malformed scope", `{"redirect_uris":["http://127.0.0.1/cb"],"scope":"a\"b"}`, "invalid_client_metadata"},
		{"not an object", `["http://127.0.0.1/cb"]`, "invalid_client_metadata"},
		{"two objects", `{"redirect_uris":["http://127.0.0.1/cb"]}{}`, "invalid_client_metadata"},
		{"not JSON", `redirect_uris=http://127.0.0.1/cb`, "invalid_client_metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := register(t, ts, tc.body)
			if tc.code != "" {
				if status != 400 || out["error"] != tc.code || out["error_description"] == "" || out["client_id"] != nil {
					t.Errorf("%d %v, want 400 %s", status, out, tc.code)
				}
				return
			}
			if status != http.StatusCreated {
				t.Fatalf("%d %v", status, out)
			}
			id, _ := out["client_id"].(string)
			if !strings.HasPrefix(id, "dcr-") || out["token_endpoint_auth_method"] != "none" || out["client_secret"] != nil {
				t.Errorf("response %v: want a public dcr- client without secret", out)
			}
			if gt, _ := out["grant_types"].([]any); len(gt) != 1 || gt[0] != "authorization_code" {
				t.Errorf("grant_types %v", out["grant_types"])
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		res, err := ts.Client().Post(ts.URL+authserver.RegisterPath, "application/x-www-form-urlencoded", strings.NewReader(`{"redirect_uris":["http://127.0.0.1/cb"]}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Errorf("status %d", res.StatusCode)
		}
	})
	t.Run("GET", func(t *testing.T) {
		if res, _ := get(t, ts.Client(), ts.URL+authserver.RegisterPath); res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}
