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

// verifyToken checks signature, typ, exp, iat, lifetime and audience.
func (w *wrapper) verifyToken(ctx context.Context, raw, audience string) (Identity, error) {
	tok, err := jwt.Parse([]byte(raw),
		jwt.WithKeyProvider(w.keys.provider(ctx)),
		jwt.WithValidate(true),
		jwt.WithClock(clockFunc(w.cfg.now)),
		jwt.WithAcceptableSkew(w.cfg.leeway),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("iat"),
		jwt.WithRequiredClaim("sub"),
		jwt.WithRequiredClaim(ClaimTool),
	)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidIdentity, err)
	}
	id := identityFromToken(tok)
	if w.cfg.issuer != "" && id.Issuer != w.cfg.issuer {
		return id, fmt.Errorf("%w: issuer %q", ErrInvalidIdentity, id.Issuer)
	}
	if life := id.Expiry.Sub(id.IssuedAt); life > MaxLifetime {
		return id, fmt.Errorf("%w: lifetime %s exceeds %s", ErrInvalidIdentity, life, MaxLifetime)
	}
	aud, _ := tok.Audience()
	for _, a := range aud {
		if a == audience {
			return id, nil
		}
	}
	return id, fmt.Errorf("%w: aud %q, want %q", ErrWrongAudience, aud, audience)
}

func identityFromToken(tok jwt.Token) Identity {
	var id Identity
	id.ID, _ = tok.JwtID()
	id.Issuer, _ = tok.Issuer()
	id.Subject, _ = tok.Subject()
	id.IssuedAt, _ = tok.IssuedAt()
	id.Expiry, _ = tok.Expiration()
	if aud, ok := tok.Audience(); ok && len(aud) > 0 {
		id.Audience = aud[0]
	}
	id.Client = stringClaim(tok, ClaimClient)
	id.Tool = stringClaim(tok, ClaimTool)
	id.TraceID = stringClaim(tok, ClaimTraceID)
	id.IntentID = stringClaim(tok, ClaimIntent)
	id.Scopes = strings.Fields(stringClaim(tok, ClaimScope))
	return id
}

func stringClaim(tok jwt.Token, name string) string {
	var s string
	if err := tok.Get(name, &s); err != nil {
		return ""
	}
	return s
}
