package connector

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// TokenCache keeps short-lived credentials (OAuth access tokens, session
// cookies, CSRF tokens) per key and refreshes each with one call however many
// requests need it at once.
type TokenCache struct {
	group singleflight.Group
	mu    sync.Mutex
	items map[string]cachedToken
}

type cachedToken struct {
	value   string
	expires time.Time
}

// Get returns the cached value for key, or calls fetch once (for all
// concurrent callers) and caches its value until its expiry, less a minute.
func (c *TokenCache) Get(ctx context.Context, key string, fetch func(context.Context) (string, time.Time, error)) (string, error) {
	c.mu.Lock()
	if t, ok := c.items[key]; ok && time.Now().Before(t.expires) {
		c.mu.Unlock()
		return t.value, nil
	}
	c.mu.Unlock()
	v, err, _ := c.group.Do(key, func() (any, error) {
		value, expires, err := fetch(ctx)
		if err != nil {
			return "", err
		}
		c.mu.Lock()
		if c.items == nil {
			c.items = map[string]cachedToken{}
		}
		c.items[key] = cachedToken{value: value, expires: expires.Add(-time.Minute)}
		c.mu.Unlock()
		return value, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// Forget drops a key, so the next Get fetches anew (after the system
// rejected the cached value).
func (c *TokenCache) Forget(key string) {
	c.mu.Lock()
	delete(c.items, key)
	c.mu.Unlock()
}
