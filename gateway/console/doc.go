// Package console is tracegate's operator console: server-rendered pages
// (html/template, go:embed, a little plain JavaScript for the live feed, no
// external assets) and the same data as JSON under /console/api/, served by
// the gateway at [Path] when enabled (Config.Enabled, `tracegate serve
// --console`).
//
// Pages: Tools (every tool, its effective scopes, mode and where they came
// from, its rate limits, which configured clients may call it; live as the
// registry changes), Decisions (a server-sent-events feed of audit records
// with filters, each linking to its message and to Jaeger), Message (one
// user message's tool calls and its span tree from Jaeger's API as a
// waterfall), Audit (the chain's state and a search of the trail), Limits
// (configured limits and the callers closest to them) and Manage (edit
// scope overrides, the match mode, the unscoped-tool policy and rate
// limits; read-only with the reason when the gateway cannot keep a change).
//
// # Who may use it
//
// The console is an OAuth protected resource of its own (RFC 8707), with
// its own audience (Config.Resource), apart from the MCP resource: a token
// issued for the MCP audience never opens it, whatever its scopes.
// Operators sign in with the authorization code flow and PKCE (RFC 7636,
// S256) against the gateway's issuer; the console is a public client whose
// client_id is, by default, the URL of the Client ID Metadata Document it
// serves ([ClientMetadataPath]). The token must carry the operator scope
// (Config.Scope, default tracegate:admin). The browser then holds only a
// session cookie (HttpOnly, SameSite=Strict, Secure under TLS; the
// login-transaction cookie is SameSite=Lax, so the redirect back from the
// identity provider carries it), and every change needs the session's CSRF
// token. Scripts call /console/api/… with a bearer token of the console
// audience instead (no cookie, no CSRF token).
//
// The console reads the gateway through a [Backend] and records through a
// [Feed] (an audit.Sink); it keeps no state of its own beyond sessions and
// the feed's recent records.
package console
