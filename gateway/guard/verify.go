package guard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
)

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// verifyToken checks what makes an identity genuine, wherever it is
// presented: signature (EdDSA, typ, no crit), exp and iat with leeway,
// lifetime <= MaxLifetime, a non-empty sub, exactly one aud, a jti, a tool,
// a well-formed downstream list and, with WithIssuer, iss. Which hop it is
// and what it may reach is decided by the caller.
func (w *wrapper) verifyToken(ctx context.Context, raw string) (Identity, error) {
	tok, err := jwt.Parse([]byte(raw),
		jwt.WithKeyProvider(w.keys.provider(ctx)),
		jwt.WithValidate(true),
		jwt.WithClock(clockFunc(w.cfg.now)),
		jwt.WithAcceptableSkew(w.cfg.leeway),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("iat"),
		jwt.WithRequiredClaim("sub"),
		jwt.WithRequiredClaim("jti"),
		jwt.WithRequiredClaim(ClaimTool),
	)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidIdentity, err)
	}
	id, err := identityFromToken(tok)
	if err != nil {
		return id, err
	}
	switch life := id.Expiry.Sub(id.IssuedAt); {
	case w.cfg.issuer != "" && id.Issuer != w.cfg.issuer:
		return id, fmt.Errorf("%w: issuer %q", ErrInvalidIdentity, id.Issuer)
	case life > MaxLifetime:
		return id, fmt.Errorf("%w: lifetime %s exceeds %s", ErrInvalidIdentity, life, MaxLifetime)
	case id.Subject == "" || id.ID == "" || id.Tool == "":
		return id, fmt.Errorf("%w: empty sub, jti or tool", ErrInvalidIdentity)
	}
	return id, nil
}

func identityFromToken(tok jwt.Token) (Identity, error) {
	var id Identity
	id.ID, _ = tok.JwtID()
	id.Issuer, _ = tok.Issuer()
	id.Subject, _ = tok.Subject()
	id.IssuedAt, _ = tok.IssuedAt()
	id.Expiry, _ = tok.Expiration()
	aud, _ := tok.Audience()
	if len(aud) != 1 || aud[0] == "" {
		return id, fmt.Errorf("%w: want exactly one aud, got %q", ErrInvalidIdentity, aud)
	}
	id.Audience = aud[0]
	id.Client = stringClaim(tok, ClaimClient)
	id.Tool = stringClaim(tok, ClaimTool)
	id.TraceID = stringClaim(tok, ClaimTraceID)
	id.IntentID = stringClaim(tok, ClaimIntent)
	id.Scopes = strings.Fields(stringClaim(tok, ClaimScope))
	ds, err := listClaim(tok, ClaimDownstream)
	if err != nil {
		return id, err
	}
	id.Downstream = ds
	return id, nil
}

func stringClaim(tok jwt.Token, name string) string {
	var s string
	if err := tok.Get(name, &s); err != nil {
		return ""
	}
	return s
}

// listClaim reads an optional array of non-empty strings; any other shape
// is an invalid identity.
func listClaim(tok jwt.Token, name string) ([]string, error) {
	if !tok.Has(name) {
		return nil, nil
	}
	var raw any
	if err := tok.Get(name, &raw); err != nil {
		return nil, fmt.Errorf("%w: claim %s: %w", ErrInvalidIdentity, name, err)
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: claim %s is %T, want an array of strings", ErrInvalidIdentity, name, raw)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("%w: claim %s holds %v, want non-empty strings", ErrInvalidIdentity, name, it)
		}
		out = append(out, s)
	}
	return out, nil
}
