package slackchannel

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// nameCache resolves Slack user ids to the names agents go by, remembering
// them for a while: every reply needs its author's name, and users.info
// is rate-limited.
type nameCache struct {
	api *slack.Client
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	names map[string]cachedName
}

type cachedName struct {
	name string
	at   time.Time
}

func newNameCache(api *slack.Client, ttl time.Duration, now func() time.Time) *nameCache {
	return &nameCache{api: api, ttl: ttl, now: now, names: map[string]cachedName{}}
}

// name is the user's display name, else real name, else user name. A
// failed lookup falls back to the id: a reply must not be lost over a
// name. Only a cancelled ctx is an error.
func (c *nameCache) name(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	c.mu.Lock()
	if n, ok := c.names[id]; ok && c.now().Sub(n.at) < c.ttl {
		c.mu.Unlock()
		return n.name, nil
	}
	c.mu.Unlock()
	u, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return id, nil
	}
	name := firstNonEmpty(u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name, id)
	c.mu.Lock()
	c.names[id] = cachedName{name: name, at: c.now()}
	c.mu.Unlock()
	return name, nil
}
