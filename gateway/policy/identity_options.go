package policy

import "time"

// MinterOption configures NewMinter.
type MinterOption interface{ applyMinter(*minterConfig) }

type minterOptionFunc func(*minterConfig)

func (f minterOptionFunc) applyMinter(c *minterConfig) { f(c) }

type minterConfig struct {
	issuer string
	ttl    time.Duration
	now    func() time.Time
}

// DefaultIdentityTTL is the lifetime of a downstream identity unless
// WithIdentityTTL says otherwise; at most guard.MaxLifetime (60s).
const DefaultIdentityTTL = 30 * time.Second

func newMinterConfig(opts []MinterOption) minterConfig {
	c := minterConfig{ttl: DefaultIdentityTTL, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyMinter(&c)
		}
	}
	return c
}

// WithIdentityIssuer sets iss (e.g. the gateway's URL).
func WithIdentityIssuer(iss string) MinterOption {
	return minterOptionFunc(func(c *minterConfig) { c.issuer = iss })
}

// WithIdentityTTL sets the lifetime; NewMinter refuses values outside
// (0, 60s].
func WithIdentityTTL(d time.Duration) MinterOption {
	return minterOptionFunc(func(c *minterConfig) { c.ttl = d })
}

// withMinterClock is for tests.
func withMinterClock(now func() time.Time) MinterOption {
	return minterOptionFunc(func(c *minterConfig) { c.now = now })
}
