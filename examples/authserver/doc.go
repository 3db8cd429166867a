// Package authserver is a small OAuth 2.1 authorization server for the
// tracegate demo. It is for development only: clients and secrets come from
// flags or a file, signing keys are generated at start (or read from a PEM
// file), it speaks plain HTTP and keeps no state. Never run it in front of
// anything real.
//
// It issues JWT access tokens (RFC 9068 style, typ at+jwt) for the
// client_credentials grant and publishes what a resource server needs to
// verify them, which is exactly what the gateway's policy.NewJWTVerifier
// consumes:
//
//   - [MetadataPath] and [OpenIDConfigurationPath]: RFC 8414 metadata
//     ([Metadata]): issuer, token_endpoint, jwks_uri, grants, client
//     authentication methods, scopes.
//   - [JWKSPath]: the public signing key with its kid (RFC 7638 thumbprint).
//   - [TokenPath]: client_credentials only, client_secret_basic or
//     client_secret_post. The scope parameter narrows the client's allowed
//     scopes (none asked means all of them; one not allowed is invalid_scope),
//     resource (RFC 8707) must equal [Config.Audience], and intent becomes
//     the token's intent claim. Errors are RFC 6749 §5.2 JSON.
//   - [HealthPath]: a liveness probe.
//
// Tokens carry iss, sub (the client id), aud (the gateway's resource URI),
// client_id, scope (space-separated), intent, iat, nbf, exp and jti, and live
// at most [MaxTokenLifetime].
//
// Build one with [New] from a [Config] ([DefaultConfig] holds the demo
// clients from [DemoClients]) and serve [Server.Handler].
package authserver
