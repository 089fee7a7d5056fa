package mwclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Status is the status of a clientlogin response.
type Status string

const (
	StatusPass     Status = "PASS"
	StatusFail     Status = "FAIL"
	StatusUI       Status = "UI"
	StatusRedirect Status = "REDIRECT"
	StatusRestart  Status = "RESTART"
)

// Field types AuthManager describes in AuthenticationRequest::getFieldInfo.
const (
	FieldString      = "string"
	FieldPassword    = "password"
	FieldSelect      = "select"
	FieldMultiselect = "multiselect"
	FieldCheckbox    = "checkbox"
	FieldButton      = "button"
	FieldHidden      = "hidden"
	FieldNull        = "null"
)

// Request is one AuthenticationRequest as the API describes it.
type Request struct {
	ID       string   `json:"id"`
	Metadata Metadata `json:"metadata,omitempty"`
	// Required is "required", "optional" or "primary-required".
	Required string `json:"required,omitempty"`
	Provider string `json:"provider,omitempty"`
	Account  string `json:"account,omitempty"`
	Fields   Fields `json:"fields,omitempty"`
}

// Metadata is a request's free-form metadata. ConfirmEdit, for one, says
// there what its captcha is: {"type":"image","mime":"image/png"}.
type Metadata map[string]string

// UnmarshalJSON keeps the string members of the metadata object and ignores
// the rest; MediaWiki encodes an empty one as [].
func (m *Metadata) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		*m = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Metadata, len(raw))
	for k, v := range raw {
		out[k] = scalarString(v)
	}
	*m = out
	return nil
}

// Field is one form field of a request.
type Field struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Label     string   `json:"label,omitempty"`
	Help      string   `json:"help,omitempty"`
	Optional  bool     `json:"optional,omitempty"`
	Sensitive bool     `json:"sensitive,omitempty"`
	Value     string   `json:"value,omitempty"`
	Options   []Option `json:"options,omitempty"`
}

// Option is one choice of a select or multiselect field.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Fields is an ordered list of fields. The API sends them as a JSON object
// keyed by name, and the order of that object is the order of the form.
type Fields []Field

// UnmarshalJSON decodes the object in document order.
func (fs *Fields) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*fs = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		// PHP's empty array, or this package's own list form (a []Field
		// marshalled by encoding/json).
		var list []Field
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*fs = list
		return nil
	}
	keys, values, err := orderedObject(b)
	if err != nil {
		return err
	}
	out := make(Fields, 0, len(keys))
	for i, name := range keys {
		var w struct {
			Type      string          `json:"type"`
			Label     string          `json:"label"`
			Help      string          `json:"help"`
			Optional  bool            `json:"optional"`
			Sensitive bool            `json:"sensitive"`
			Value     json.RawMessage `json:"value"`
			Options   json.RawMessage `json:"options"`
		}
		if err := json.Unmarshal(values[i], &w); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
		f := Field{Name: name, Type: w.Type, Label: w.Label, Help: w.Help,
			Optional: w.Optional, Sensitive: w.Sensitive, Value: scalarString(w.Value)}
		if opts := bytes.TrimSpace(w.Options); len(opts) > 0 && opts[0] == '{' {
			okeys, ovals, err := orderedObject(opts)
			if err != nil {
				return fmt.Errorf("field %q options: %w", name, err)
			}
			for j, k := range okeys {
				f.Options = append(f.Options, Option{Value: k, Label: scalarString(ovals[j])})
			}
		}
		out = append(out, f)
	}
	*fs = out
	return nil
}

// LoginResult is a clientlogin answer. A FAIL is a result, not an error.
type LoginResult struct {
	Status      Status    `json:"status"`
	Message     string    `json:"message,omitempty"`
	MessageCode string    `json:"messagecode,omitempty"`
	Requests    []Request `json:"requests,omitempty"`
	// Fields is filled when loginmergerequestfields was asked for.
	Fields           Fields `json:"fields,omitempty"`
	RedirectTarget   string `json:"redirecttarget,omitempty"`
	Username         string `json:"username,omitempty"`
	CanPreserveState bool   `json:"canpreservestate,omitempty"`
}

// AuthManagerInfo is meta=authmanagerinfo for a login.
type AuthManagerInfo struct {
	CanAuthenticateNow bool      `json:"canauthenticatenow"`
	CanCreateAccounts  bool      `json:"cancreateaccounts"`
	CanLinkAccounts    bool      `json:"canlinkaccounts"`
	HasPrimaryPreserve bool      `json:"haspreservedstate"`
	PreservedUsername  string    `json:"preservedusername"`
	Requests           []Request `json:"requests"`
	Fields             Fields    `json:"fields,omitempty"`
}

// UserInfo is meta=userinfo.
type UserInfo struct {
	ID        int      `json:"id"`
	Name      string   `json:"name"`
	Anon      bool     `json:"anon,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	EditCount int      `json:"editcount,omitempty"`
}

// orderedObject splits a JSON object into its keys and raw values, in order.
func orderedObject(b []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("want a JSON object, got %v", tok)
	}
	var keys []string
	var values []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("want an object key, got %v", tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys = append(keys, key)
		values = append(values, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	return keys, values, nil
}

// scalarString renders a JSON scalar as the string a form would carry.
func scalarString(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case 't':
		return "1"
	case 'f':
		return ""
	case '{', '[':
		return ""
	}
	// An integer goes back as written: a float64 would change a large id.
	if isDigits(v) {
		return string(v)
	}
	if f, err := strconv.ParseFloat(string(v), 64); err == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// isDigits reports whether v is an optionally signed run of digits.
func isDigits(v []byte) bool {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
