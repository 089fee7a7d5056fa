package handlers

import (
	"encoding/json"
	"fmt"

	"github.com/mwlogin/mwlogin/flow"
)

// sessionData is everything a session can hold, as its entry stores it.
// A value the handlers put in a session needs a field here, or the session
// cannot be saved.
type sessionData struct {
	Flow     *flow.State `json:"flow,omitempty"`
	User     *flow.User  `json:"user,omitempty"`
	ReturnTo string      `json:"returnto,omitempty"`
}

// sessionCodec is the app's sessionstore.Codec. A nil pointer or an empty
// return path comes back as no value, which the handlers read the same way.
type sessionCodec struct{}

func (sessionCodec) Encode(values map[any]any) ([]byte, error) {
	var d sessionData
	for k, v := range values {
		var ok bool
		switch k {
		case keyFlow:
			d.Flow, ok = v.(*flow.State)
		case keyUser:
			d.User, ok = v.(*flow.User)
		case keyReturnTo:
			d.ReturnTo, ok = v.(string)
		default:
			return nil, fmt.Errorf("handlers: session key %#v (%T) has no field in sessionData", k, k)
		}
		if !ok {
			return nil, fmt.Errorf("handlers: session value %q is a %T, not the type of its sessionData field", k, v)
		}
	}
	return json.Marshal(&d)
}

func (sessionCodec) Decode(data []byte) (map[any]any, error) {
	var d sessionData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	values := make(map[any]any, 3)
	if d.Flow != nil {
		values[keyFlow] = d.Flow
	}
	if d.User != nil {
		values[keyUser] = d.User
	}
	if d.ReturnTo != "" {
		values[keyReturnTo] = d.ReturnTo
	}
	return values, nil
}
