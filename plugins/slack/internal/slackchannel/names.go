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
	bot  bool // users.info's is_bot: an app's bot user, not a human
	at   time.Time
}

func newNameCache(api *slack.Client, ttl time.Duration, now func() time.Time) *nameCache {
	return &nameCache{api: api, ttl: ttl, now: now, names: map[string]cachedName{}}
}

// name is the user's display name, else real name, else user name. A
// failed lookup falls back to the id: a reply must not be lost over a
// name. Only a cancelled ctx is an error.
func (c *nameCache) name(ctx context.Context, id string) (string, error) {
	n, _, err := c.person(ctx, id)
	return n, err
}

// person is name, and whether the user is a bot (users.info's is_bot):
// other apps' bots do not claim or close conversations. A failed lookup
// counts as a human, as name falls back to the id.
func (c *nameCache) person(ctx context.Context, id string) (name string, bot bool, err error) {
	if id == "" {
		return "", false, nil
	}
	c.mu.Lock()
	if n, ok := c.names[id]; ok && c.now().Sub(n.at) < c.ttl {
		c.mu.Unlock()
		return n.name, n.bot, nil
	}
	c.mu.Unlock()
	u, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		return id, false, nil
	}
	name = firstNonEmpty(u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name, id)
	c.mu.Lock()
	c.names[id] = cachedName{name: name, bot: u.IsBot, at: c.now()}
	c.mu.Unlock()
	return name, u.IsBot, nil
}
