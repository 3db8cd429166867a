//go:build e2e

package console_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/tracegate/tracegate/gateway/audit"
	"github.com/tracegate/tracegate/internal/e2etest"
	"github.com/tracegate/tracegate/internal/jaegertest"
)

var (
	traceIDRE   = regexp.MustCompile(`(?m)^trace id:\s+([0-9a-f]{32})$`)
	messageIDRE = regexp.MustCompile(`(?m)^message id: (msg-[0-9a-f]+)`)
)

// feedDeadline is the bound for a call to show in the live feed,
// from the moment the caller has its answer (the record is written before
// the answer) to the row in the browser.
const feedDeadline = 2 * time.Second

func randomID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// TestConsoleInBrowser runs the demo topology with the console on and
// drives the console in headless Chromium.
func TestConsoleInBrowser(t *testing.T) {
	j := jaegertest.FromEnv(t)
	top := startTopology(t, j)
	admin := top.connect(t, top.token(t, "admin-agent", "admin-secret", top.mcp, "", ""))
	top.waitTools(t, admin)

	// The demo message: one user message, one trace.
	ag := e2etest.StartProc(t, top.dir, "agent", top.env, bin("agent"),
		"--gateway", top.mcp, "--auth", top.auth, "--jaeger", j.URL, "--jaeger-wait", "60s")
	if code := ag.Wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("agent: exit %d\n%s\n%s", code, ag.Tail(40), top.gateway.Tail(20))
	}
	traceID, msgID := match(t, traceIDRE, ag.Output()), match(t, messageIDRE, ag.Output())

	b := newBrowser(t)
	t.Run("anonymous browser is refused", func(t *testing.T) {
		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/api/tools"))
		body := b.text(t, "body")
		if !strings.Contains(body, "a bearer token of the console audience or a session is required") {
			t.Errorf("API without credentials answered:\n%s", body)
		}
		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/tools"), chromedp.WaitVisible(chromedp.CSS(`button[value=approve]`)))
		loc := get(t, b, 10*time.Second, chromedp.Location())
		if !strings.HasPrefix(loc, top.auth+"/authorize?") {
			t.Fatalf("an anonymous browser at /console/tools ended at %s, want the issuer's sign-in", loc)
		}
	})
	t.Run("sign in", func(t *testing.T) {
		// The browser stands on the consent page for the console.
		consent := b.text(t, "body")
		if !strings.Contains(consent, "tracegate:admin") {
			t.Errorf("consent page does not ask for tracegate:admin:\n%s", consent)
		}
		b.screenshot(t, "signin-consent")
		b.do(t, 60*time.Second, chromedp.Click(chromedp.CSS(`button[value=approve]`)), chromedp.WaitVisible(chromedp.CSS(`#tools`)))
		if who := b.text(t, ".who"); !strings.Contains(who, "Signed in as demo-user") {
			t.Errorf("header says %q", who)
		}
	})
	t.Run("tools page", func(t *testing.T) {
		rows := b.text(t, "#tools tbody")
		for _, want := range []string{"posts.Posts.Delete", "posts.Posts.Create", "comments.Comments.Create", "users.Users.List",
			"blog:admin", "blog:write", "blog:read", "service", "account_tool: 1/s, burst 60"} {
			if !strings.Contains(rows, want) {
				t.Errorf("tools page lacks %q", want)
			}
		}
		delRow := b.text(t, `tr[data-tool="posts.Posts.Delete"]`)
		if !strings.Contains(delRow, "blog:admin") || !strings.Contains(delRow, "admin-agent") || strings.Contains(delRow, "demo-agent") {
			t.Errorf("posts.Posts.Delete row: %q (want blog:admin, callable by admin-agent only)", delRow)
		}
		b.screenshot(t, "tools")
	})
	t.Run("decisions feed", func(t *testing.T) {
		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/decisions"), chromedp.WaitVisible(chromedp.CSS(`#feed-status[data-live="open"]`)))
		intent := randomID("e2e-feed-")
		cs := top.connect(t, top.token(t, "demo-agent", "demo-secret", top.mcp, "", intent))
		if res, err := call(t, cs, "users.Users.List", map[string]any{}); err != nil || res.IsError {
			t.Fatalf("users.Users.List: %v %+v", err, res)
		}
		answered := time.Now()
		get(t, b, feedDeadline, chromedp.Poll[bool](`document.querySelector("#decisions tbody").innerText.includes("`+intent+`")`,
			chromedp.WithPollingInterval(20*time.Millisecond)))
		t.Logf("the call showed in the feed %s after its answer", time.Since(answered).Round(time.Millisecond))
		b.screenshot(t, "decisions")
		accessible(t, b)
	})

	consoleAdmin := top.token(t, "admin-agent", "admin-secret", top.consoleURL, "", "")
	t.Run("policy change turns 403 into 200", func(t *testing.T) {
		var user struct {
			User struct{ ID string } `json:"user"`
		}
		var post struct {
			Post struct{ ID string } `json:"post"`
		}
		structured(t, admin, "users.Users.Create", map[string]any{"name": "Grace", "email": randomID("g") + "@example.com"}, &user)
		structured(t, admin, "posts.Posts.Create", map[string]any{"title": "to delete", "body": "b", "author_id": user.User.ID}, &post)
		writer := top.connect(t, top.token(t, "demo-agent", "demo-secret", top.mcp, "", randomID("e2e-delete-")))
		if _, err := call(t, writer, "posts.Posts.Delete", map[string]any{"id": post.Post.ID}); err == nil || !strings.Contains(err.Error(), "insufficient scope") || !strings.Contains(err.Error(), "Forbidden") {
			t.Fatalf("delete before the change: %v, want a 403 for insufficient scope", err)
		}
		_, before := policyHash(t, top, consoleAdmin)

		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/manage"), chromedp.WaitVisible(chromedp.CSS(`#override-form`)),
			chromedp.SetValue(chromedp.CSS(`#ov-tool`), "posts.Posts.Delete"),
			chromedp.SetValue(chromedp.CSS(`#ov-scopes`), "blog:write"),
			chromedp.Click(chromedp.CSS(`#override-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`.notice`)))
		b.screenshot(t, "manage")
		accessible(t, b)
		if ov := b.text(t, "#overrides"); !strings.Contains(ov, "posts.Posts.Delete") || !strings.Contains(ov, "blog:write") {
			t.Errorf("overrides after the change: %q", ov)
		}
		_, after := policyHash(t, top, consoleAdmin)
		if after == before {
			t.Fatalf("policy hash unchanged: %s", after)
		}
		res, err := call(t, writer, "posts.Posts.Delete", map[string]any{"id": post.Post.ID})
		if err != nil || res.IsError {
			t.Fatalf("delete after the change: %v %+v", err, res)
		}
		if data, _ := os.ReadFile(top.cfg); !strings.Contains(string(data), "tool: posts.Posts.Delete") ||
			!strings.HasPrefix(string(data), "# the e2e console topology's gateway\n") {
			t.Errorf("the configuration file after the change:\n%s", data)
		}
		rec := policyRecord(t, top.auditFile, after)
		if rec == nil || rec.PolicyBefore() != before || rec.Subject() != "demo-user" ||
			!strings.Contains(rec.Change(), "scopes.overrides[posts.Posts.Delete]: added [blog:write]") {
			t.Fatalf("no audit record of the change %s -> %s by demo-user: %+v", before, after, rec)
		}
		// The trail as the console shows it: the feed's policy records.
		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/decisions?kind=policy"), chromedp.WaitVisible(chromedp.CSS(`#decisions`)))
		if rows := b.text(t, "#decisions tbody"); !strings.Contains(rows, "scopes.overrides[posts.Posts.Delete]") || !strings.Contains(rows, "demo-user") {
			t.Errorf("the Decisions page's policy records: %q", rows)
		}
	})
	t.Run("change without the CSRF token is refused", func(t *testing.T) {
		_, before := policyHash(t, top, consoleAdmin)
		status := eval[int](t, b, `fetch("/console/manage", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
			body: "op=account&rate=1&burst=1"}).then(r => r.status)`)
		if status != http.StatusForbidden {
			t.Errorf("a POST without the CSRF token: %d, want 403", status)
		}
		status = eval[int](t, b, `fetch("/console/api/policy", {method: "PUT", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({policy: {}})}).then(r => r.status)`)
		if status != http.StatusForbidden {
			t.Errorf("an API PUT with the session and no CSRF header: %d, want 403", status)
		}
		if _, h := policyHash(t, top, consoleAdmin); h != before {
			t.Errorf("the policy changed: %s -> %s", before, h)
		}
	})
	t.Run("MCP-audience token is refused", func(t *testing.T) {
		mcpAdmin := top.token(t, "admin-agent", "admin-secret", top.mcp, "blog:read tracegate:admin", "")
		if status, body := top.api(t, http.MethodGet, "/console/api/tools", mcpAdmin, nil); status != http.StatusUnauthorized {
			t.Errorf("an MCP-audience token with tracegate:admin: %d %s, want 401", status, body)
		}
		if status, _ := top.api(t, http.MethodGet, "/console/api/tools", consoleAdmin, nil); status != http.StatusOK {
			t.Errorf("a console token: %d, want 200", status)
		}
	})
	t.Run("message page", func(t *testing.T) {
		want := []string{"posts.Posts.Create", "comments.Comments.Create", "posts.Posts.Delete"}
		var calls, spans string
		e2etest.WaitUntil(t, "the demo message in Jaeger", 90*time.Second, nil, func() bool {
			b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/message?q="+msgID), chromedp.WaitVisible(chromedp.CSS(`#calls`)))
			calls = b.text(t, "#calls tbody")
			if eval[int](t, b, `document.querySelectorAll(".waterfall tbody tr").length`) == 0 {
				return false
			}
			spans = b.text(t, ".waterfall tbody")
			return containsAll(calls, want...) && containsAll(spans, "invoke_agent", "posts/Posts.Create", "users/Users.Read")
		})
		if !strings.Contains(calls, "deny") || !strings.Contains(calls, "insufficient_scope") {
			t.Errorf("the message's calls lack the denied delete:\n%s", calls)
		}
		link := get(t, b, 10*time.Second, chromedp.AttributeValue(chromedp.CSS(`a.ext`), "href")).Value
		if link != j.URL+"/trace/"+traceID {
			t.Errorf("Jaeger link %q, want %s/trace/%s", link, j.URL, traceID)
		}
		b.screenshot(t, "message")
	})
	t.Run("audit and limits pages", func(t *testing.T) {
		b.do(t, 60*time.Second, chromedp.Navigate(top.consoleURL+"/audit?verify=1"), chromedp.WaitVisible(chromedp.CSS(`#verify`)))
		if v := b.text(t, "#verify"); !strings.Contains(v, "intact") {
			t.Errorf("verification on the audit page: %q", v)
		}
		b.screenshot(t, "audit")
		// Twenty calls take twenty of the 60 tokens of demo-agent's
		// users.Users.List bucket, which refills at 1/s: it is far from
		// full while the page loads.
		cs := top.connect(t, top.token(t, "demo-agent", "demo-secret", top.mcp, "", ""))
		for range 20 {
			if res, err := call(t, cs, "users.Users.List", map[string]any{}); err != nil || res.IsError {
				t.Fatalf("users.Users.List: %v %+v", err, res)
			}
		}
		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/limits"), chromedp.WaitVisible(chromedp.CSS(`#nearest`)))
		if n := b.text(t, "#nearest"); !strings.Contains(n, "demo-agent\tusers.Users.List\taccount_tool") {
			t.Errorf("demo-agent's users.Users.List bucket is not among the callers near a limit: %q", n)
		}
		b.screenshot(t, "limits")
	})
	t.Run("tools page follows the registry", func(t *testing.T) {
		b.do(t, 30*time.Second, chromedp.Navigate(top.consoleURL+"/tools"), chromedp.WaitVisible(chromedp.CSS(`#tools`)))
		top.services["comments"].Stop(t) // it deregisters on SIGTERM
		// The open page replaces its table when the live stream says the
		// tool list changed; no reload.
		get(t, b, 60*time.Second, chromedp.Poll[bool](`!document.querySelector("#tools").innerText.includes("comments.Comments.Create")`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0)))
		if status := b.text(t, "#tools-status"); !strings.Contains(status, "The tool list changed") {
			t.Errorf("status after the change: %q", status)
		}
		if rows := b.text(t, "#tools tbody"); !strings.Contains(rows, "posts.Posts.Create") {
			t.Errorf("the other tools are gone too: %q", rows)
		}
	})
}

// accessible checks what a keyboard and screen-reader user needs of the
// page: every form control has a label, the page has one h1 and a main
// landmark, and the first Tab reaches the skip link.
func accessible(t *testing.T, b *browser) {
	t.Helper()
	unlabeled := eval[[]string](t, b, `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
		.filter(el => el.labels.length === 0 && !el.getAttribute("aria-label")).map(el => el.id || el.name)`)
	if len(unlabeled) > 0 {
		t.Errorf("form controls without a label: %v", unlabeled)
	}
	if n := eval[int](t, b, `document.querySelectorAll("h1").length + 10 * document.querySelectorAll("main").length`); n != 11 {
		t.Errorf("want one h1 and one main landmark (got code %d)", n)
	}
	b.do(t, 10*time.Second, chromedp.KeyEvent("\t"))
	if focused := eval[string](t, b, `document.activeElement ? document.activeElement.className : ""`); focused != "skip" {
		t.Errorf("the first Tab focuses %q, want the skip link", focused)
	}
}

func match(t *testing.T, re *regexp.Regexp, out string) string {
	t.Helper()
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("agent output has no %s:\n%s", re, out)
	}
	return m[1]
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// structured calls tool and decodes its structured result into out.
func structured(t *testing.T, cs *mcp.ClientSession, tool string, args any, out any) {
	t.Helper()
	res, err := call(t, cs, tool, args)
	if err != nil || res.IsError {
		t.Fatalf("%s: %v %+v", tool, err, res)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s result %s: %v", tool, raw, err)
	}
}

// policyHash reads the policy in force through the console's API.
func policyHash(t *testing.T, top *topology, token string) (json.RawMessage, string) {
	t.Helper()
	status, raw := top.api(t, http.MethodGet, "/console/api/policy", token, nil)
	var st struct {
		Policy json.RawMessage `json:"policy"`
		Hash   string          `json:"hash"`
	}
	if err := json.Unmarshal(raw, &st); status != http.StatusOK || err != nil {
		t.Fatalf("policy: %d %s", status, raw)
	}
	return st.Policy, st.Hash
}

// policyRecord finds the audit record of the change to hash.
func policyRecord(t *testing.T, file, hash string) *audit.Record {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"type":"record"`)) {
			continue
		}
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil && r.Kind() == audit.KindPolicy && r.PolicyHash() == hash {
			return &r
		}
	}
	return nil
}
