package gateway

import "encoding/json"

// jsonMarshal marshals v as a json.RawMessage.
func jsonMarshal(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	return json.RawMessage(b), err
}
