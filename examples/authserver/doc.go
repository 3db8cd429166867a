// Package authserver is a small OAuth 2.1 authorization server for the
// tracegate demo. It is for development only: confidential clients and
// secrets come from flags or a file, the one user signs in without a
// password, signing keys are generated at start (or read from a PEM file),
// it speaks plain HTTP and keeps its state in memory. Never run it in front
// of anything real.
//
// It issues JWT access tokens (RFC 9068 style, typ at+jwt) and publishes
// what a resource server needs to verify them, which is exactly what the
// gateway's policy.NewJWTVerifier consumes, and what MCP clients need to
// sign a user in (MCP 2025-11-25 authorization):
//
//   - [MetadataPath] and [OpenIDConfigurationPath]: RFC 8414 metadata
//     ([Metadata]): the endpoints below, response type code, PKCE S256,
//     grant types, client authentication methods, scopes, and
//     client_id_metadata_document_supported.
//   - [JWKSPath]: the public signing key with its kid (RFC 7638 thumbprint).
//   - [AuthorizePath] and [ConsentPath]: the authorization code flow with
//     PKCE (S256 only) for public clients. The consent page (html/template,
//     no script) shows the client, its redirect URI and the scopes, and posts
//     back a form bound to the browser by a session cookie and a CSRF token;
//     the answer redirects with a code (single use, one minute) or
//     access_denied, plus state and iss (RFC 9207). Scopes are limited to
//     [Config.UserScopes].
//   - Public clients register the way MCP clients do: a client_id that is an
//     https URL (or, for local development, an http URL on a loopback host)
//     names a Client ID Metadata Document, fetched with a timeout, a size
//     limit and no redirects, validated (its client_id must be its URL,
//     token_endpoint_auth_method none) and cached per Cache-Control within
//     bounds; older clients use [RegisterPath] (RFC 7591 dynamic
//     registration). Loopback redirect URIs match on any port (RFC 8252
//     §7.3). Anyone who reaches the authorization endpoint can make the
//     server fetch an https URL of their choosing: one more reason to keep
//     it on loopback.
//   - [TokenPath]: client_credentials for the configured confidential
//     clients (client_secret_basic or client_secret_post; the scope
//     parameter narrows the client's allowed scopes, none asked means all
//     of them, intent becomes the token's intent claim), and
//     authorization_code for public clients (client_id, code, redirect_uri
//     and code_verifier). resource (RFC 8707) must equal [Config.Audience].
//     Errors are RFC 6749 §5.2 JSON. No refresh tokens are issued: a client
//     that needs more scopes (a 403 step-up) runs the flow again.
//   - [HealthPath]: a liveness probe.
//
// Tokens carry iss, sub (the client id for client credentials, the user
// for the authorization code flow), aud (the gateway's resource URI),
// client_id, scope (space-separated), intent, iat, nbf, exp and jti, and live
// at most [MaxTokenLifetime].
//
// The issuer is an identifier, independent of the listen address: under
// docker compose it is the URL clients on the host use, while the gateway
// fetches the JWKS through the compose network.
//
// Build one with [New] from a [Config] ([DefaultConfig] holds the demo
// clients from [DemoClients]) and serve [Server.Handler].
package authserver
