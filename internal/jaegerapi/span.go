package jaegerapi

import "time"

// ParentID is the span id of s's [RefChildOf] reference, empty for a root.
func (s Span) ParentID() string {
	for _, r := range s.References {
		if r.RefType == RefChildOf {
			return r.SpanID
		}
	}
	return ""
}

// Tag returns the value of tag key, rendered by [KeyValue.String].
func (s Span) Tag(key string) (string, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.String(), true
		}
	}
	return "", false
}

// Kind is the span.kind tag (a Kind… constant); a span without one is
// [KindInternal], as OTel treats an unspecified kind.
func (s Span) Kind() string {
	if k, _ := s.Tag("span.kind"); k != "" {
		return k
	}
	return KindInternal
}

// Events returns the span logs as span events, in order.
func (s Span) Events() []Event {
	out := make([]Event, 0, len(s.Logs))
	for _, l := range s.Logs {
		ev := Event{Time: time.UnixMicro(l.Timestamp), Fields: map[string]string{}}
		for _, f := range l.Fields {
			if f.Key == "event" {
				ev.Name = f.String()
				continue
			}
			ev.Fields[f.Key] = f.String()
		}
		out = append(out, ev)
	}
	return out
}
