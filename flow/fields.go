package flow

import (
	"context"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mwlogin/mwlogin/mwclient"
)

// collect picks out of a posted form the values of the fields the wiki
// asked for, and nothing else. Hidden values come from the stored flow, not
// from the browser; a button or checkbox is sent only when pressed or ticked.
func collect(st *State, form url.Values) url.Values {
	out := url.Values{}
	for _, r := range st.Requests {
		for _, f := range r.Fields {
			if _, done := out[f.Name]; done {
				continue
			}
			switch f.Type {
			case mwclient.FieldNull:
			case mwclient.FieldHidden:
				out.Set(f.Name, f.Value)
			case mwclient.FieldMultiselect:
				if vs := allowed(f, form[f.Name]); len(vs) > 0 {
					// PHP reads name[] as the array AuthManager expects.
					out[f.Name+"[]"] = vs
				}
			default:
				if v, ok := form[f.Name]; ok && len(v) > 0 {
					out.Set(f.Name, v[0])
				}
			}
		}
	}
	return out
}

// answers reports whether a post fills in one of the form's requests: a
// value for each of its fields that must be filled in (a user name and a
// password), or a press of its button (a provider's sign-in button).
func answers(st *State, form url.Values) bool {
	for _, r := range st.Requests {
		filled, needed := true, 0
		for _, f := range r.Fields {
			switch {
			case f.Type == mwclient.FieldButton:
				if form.Get(f.Name) != "" {
					return true
				}
				filled = false
			case (f.Type == mwclient.FieldString || f.Type == mwclient.FieldPassword) && !f.Optional:
				needed++
				filled = filled && form.Get(f.Name) != ""
			}
		}
		if filled && needed > 0 {
			return true
		}
	}
	return false
}

// allowed keeps the values that are options of f.
func allowed(f mwclient.Field, vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, o := range f.Options {
			if o.Value == v {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// keepable is what may be shown again when a step comes back after a wrong
// answer: values of fields that are neither sensitive nor passwords, and no
// button presses. An unticked checkbox or an empty multiselect is kept as
// an empty answer, so that a default does not come back in its place.
func keepable(st *State, form url.Values) map[string][]string {
	out := map[string][]string{}
	for _, r := range st.Requests {
		for _, f := range r.Fields {
			if f.Sensitive || singleUse[f.Name] {
				continue
			}
			switch f.Type {
			case mwclient.FieldString, mwclient.FieldSelect:
				if v, ok := form[f.Name]; ok {
					out[f.Name] = v
				}
			case mwclient.FieldMultiselect, mwclient.FieldCheckbox:
				out[f.Name] = append([]string{}, form[f.Name]...)
			}
		}
	}
	return out
}

// singleUse names the fields whose answer is worth nothing a second time,
// though the wiki does not mark them sensitive: a captcha's answer (the
// wiki asks a new question after a wrong one) and a two-factor code
// (OATHAuth's own form does not keep it either: 'persistent' => false).
var singleUse = map[string]bool{"captchaWord": true, "OATHToken": true}

// rememberField is the checkbox of MediaWiki's RememberMeAuthenticationRequest.
const rememberField = "rememberMe"

// remembers reports whether a login form post ticked "Keep me logged in".
func remembers(st *State, form url.Values) bool {
	for _, r := range st.Requests {
		for _, f := range r.Fields {
			if f.Name == rememberField && f.Type == mwclient.FieldCheckbox {
				v := form.Get(f.Name)
				return v != "" && v != "0"
			}
		}
	}
	return false
}

// formCache keeps meta=authmanagerinfo per language, so that showing the
// login form costs no wiki round trip.
type formCache struct {
	client *mwclient.Client
	ttl    time.Duration
	now    func() time.Time
	group  singleflight.Group

	mu      sync.Mutex
	entries map[string]formEntry
}

type formEntry struct {
	requests []mwclient.Request
	expires  time.Time
}

// maxFormLangs bounds the cache against browsers sending endless languages.
const maxFormLangs = 64

func newFormCache(c *mwclient.Client, ttl time.Duration, now func() time.Time) *formCache {
	return &formCache{client: c, ttl: ttl, now: now, entries: map[string]formEntry{}}
}

func (c *formCache) get(ctx context.Context, lang string) ([]mwclient.Request, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[lang]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.requests, nil
	}
	v, err, _ := c.group.Do(lang, func() (any, error) {
		// One fetch serves every waiting request, so it must not die with
		// the first caller's request.
		info, _, err := c.client.NewSession(nil).AuthManagerInfo(context.WithoutCancel(ctx), mwclient.InfoQuery{Lang: lang})
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.entries) >= maxFormLangs {
			for k, old := range c.entries {
				if !now.Before(old.expires) || len(c.entries) >= maxFormLangs {
					delete(c.entries, k)
				}
			}
		}
		c.entries[lang] = formEntry{requests: info.Requests, expires: c.now().Add(c.ttl)}
		return info.Requests, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]mwclient.Request), nil
}
