package flow

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mwlogin/mwlogin/mwclient"
)

// Defaults of the site cache.
const (
	// DefaultSiteTTL is how long the wiki's site information and messages
	// are kept: they change when an admin edits them, not per request.
	DefaultSiteTTL = 10 * time.Minute
	// SiteRetry is how long a wiki that did not answer is left alone
	// before it is asked again; meanwhile pages go without its messages.
	SiteRetry = 30 * time.Second
)

// maxSiteLangs bounds the messages kept, against browsers sending endless
// languages (only languages the wiki speaks are asked for, but it speaks
// hundreds).
const maxSiteLangs = 64

// siteCache keeps the wiki's site information and its messages per
// language, so that a page costs no wiki round trip: one call per language
// per period, and the site's own one.
type siteCache struct {
	client *mwclient.Client
	names  []string
	langs  []string
	ttl    time.Duration
	now    func() time.Time
	group  singleflight.Group

	mu       sync.Mutex
	info     *mwclient.SiteInfo
	expires  time.Time // of info, or of the failure that stands for it
	failed   error     // the last failure, until expires
	messages map[string]siteMessages
}

type siteMessages struct {
	m       *mwclient.Messages
	err     error
	expires time.Time
}

func newSiteCache(c *mwclient.Client, names, langs []string, ttl time.Duration, now func() time.Time) *siteCache {
	if ttl <= 0 {
		ttl = DefaultSiteTTL
	}
	return &siteCache{client: c, names: names, langs: langs, ttl: ttl, now: now, messages: map[string]siteMessages{}}
}

// Site returns the wiki's site information (mwclient.Client.SiteInfo),
// kept for Config.SiteTTL. When the wiki does not answer, the last
// information it gave is still returned with the error, if there is any;
// it is asked again after SiteRetry.
func (e *Engine) Site(ctx context.Context) (*mwclient.SiteInfo, error) {
	return e.site.get(ctx)
}

// Messages returns the wiki's messages (Config.SiteMessages) in lang, kept
// for Config.SiteTTL per language. With the wiki down, as Site.
func (e *Engine) Messages(ctx context.Context, lang string) (*mwclient.Messages, error) {
	return e.site.messagesIn(ctx, lang)
}

func (c *siteCache) get(ctx context.Context) (*mwclient.SiteInfo, error) {
	c.mu.Lock()
	info, fresh, failed := c.info, c.now().Before(c.expires), c.failed
	c.mu.Unlock()
	if fresh {
		return info, failed
	}
	v, err, _ := c.group.Do("site", func() (any, error) {
		// One fetch serves every waiting request, so it must not die with
		// the first caller's request.
		info, err := c.client.SiteInfo(context.WithoutCancel(ctx), c.names, c.langs)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			c.failed, c.expires = err, c.now().Add(SiteRetry)
			return c.info, err
		}
		c.info, c.failed, c.expires = info, nil, c.now().Add(c.ttl)
		return info, nil
	})
	info, _ = v.(*mwclient.SiteInfo)
	return info, err
}

func (c *siteCache) messagesIn(ctx context.Context, lang string) (*mwclient.Messages, error) {
	info, err := c.get(ctx)
	if info != nil && lang == info.Lang {
		return info.Messages, err
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.messages[lang]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.m, e.err
	}
	v, err, _ := c.group.Do("messages:"+lang, func() (any, error) {
		m, err := c.client.Messages(context.WithoutCancel(ctx), lang, c.names)
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.messages) >= maxSiteLangs {
			for k, old := range c.messages {
				if !now.Before(old.expires) || len(c.messages) >= maxSiteLangs {
					delete(c.messages, k)
				}
			}
		}
		if err != nil {
			// Keep what the wiki said before, if it did, until it answers.
			m = c.messages[lang].m
			c.messages[lang] = siteMessages{m: m, err: err, expires: c.now().Add(SiteRetry)}
			return m, err
		}
		c.messages[lang] = siteMessages{m: m, expires: c.now().Add(c.ttl)}
		return m, nil
	})
	m, _ := v.(*mwclient.Messages)
	return m, err
}
