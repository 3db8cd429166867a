package gateway

import (
	"context"
	"slices"

	"go.opentelemetry.io/otel/baggage"
)

// BaggageConfig says which W3C baggage (https://www.w3.org/TR/baggage/) a
// client may send on to the services. Baggage crosses a trust boundary at
// the gateway: a client could plant tenant=… or user.id=… where services
// read it, so by default none of the client's baggage is forwarded.
type BaggageConfig struct {
	// Allow lists the client baggage keys forwarded to services (none).
	Allow []string `yaml:"allow"`
	// MaxBytes caps the forwarded client baggage, in bytes of its W3C
	// encoding (1024); members beyond it are dropped.
	MaxBytes int `yaml:"max_bytes"`
}

// Baggage keys the gateway sets itself, from the verified token, never from
// the client: services' spans and logs can carry who and which user message.
const (
	BaggageSubject  = "tracegate.subject"
	BaggageIntentID = "tracegate.intent.id"
)

// baggagePolicy filters a client's baggage.
type baggagePolicy struct {
	allow    []string
	maxBytes int
}

func newBaggagePolicy(c BaggageConfig) baggagePolicy {
	p := baggagePolicy{maxBytes: c.MaxBytes}
	for _, k := range c.Allow {
		if k != BaggageSubject && k != BaggageIntentID {
			p.allow = append(p.allow, k)
		}
	}
	if p.maxBytes == 0 {
		p.maxBytes = 1024
	}
	return p
}

// fromClient keeps the allowed members of the client's baggage in remote,
// within the size cap; nothing when the client is not trusted as parent.
func (p baggagePolicy) fromClient(remote context.Context, trusted bool) baggage.Baggage {
	var out baggage.Baggage
	if !trusted || len(p.allow) == 0 {
		return out
	}
	size := 0
	for _, m := range baggage.FromContext(remote).Members() {
		if !slices.Contains(p.allow, m.Key()) {
			continue
		}
		if size += len(m.String()) + 1; size > p.maxBytes {
			break
		}
		if b, err := out.SetMember(m); err == nil {
			out = b
		}
	}
	return out
}

// withBaggage puts the request's baggage into ctx: the client's allowed
// members plus the gateway's own, from the verified principal.
func (t *tracing) withBaggage(ctx context.Context, ex *exchange) context.Context {
	b := ex.clientBaggage
	if ex.authenticated {
		for k, v := range map[string]string{BaggageSubject: ex.principal.Subject, BaggageIntentID: ex.principal.IntentID} {
			if v == "" {
				continue
			}
			if m, err := baggage.NewMemberRaw(k, capString(v, 256)); err == nil {
				if nb, err := b.SetMember(m); err == nil {
					b = nb
				}
			}
		}
	}
	return baggage.ContextWithBaggage(ctx, b)
}
