package sender

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limits holds the rate limiters: one per chat, created on demand and
// evicted when idle, and one for the whole bot.
type limits struct {
	perChat    rate.Limit
	burst      int
	idle       time.Duration
	globalRate rate.Limit
	global     *rate.Limiter

	mu        sync.Mutex
	chats     map[int64]*chatLimiter
	slowUntil time.Time // the global limiter runs at half speed until then
	lastSweep time.Time
}

type chatLimiter struct {
	lim         *rate.Limiter
	used        time.Time
	pausedUntil time.Time
}

func newLimits(o Options) *limits {
	perChat := rate.Every(o.PerChatInterval)
	// A limiter idle for burst intervals is full again, so dropping it then
	// loses nothing: a new one starts full too.
	idle := max(o.IdleEvict, time.Duration(o.PerChatBurst)*o.PerChatInterval)
	return &limits{
		perChat:    perChat,
		burst:      o.PerChatBurst,
		idle:       idle,
		globalRate: rate.Limit(o.GlobalRate),
		global:     rate.NewLimiter(rate.Limit(o.GlobalRate), max(1, int(o.GlobalRate))),
		chats:      make(map[int64]*chatLimiter),
	}
}

// wait blocks until a message to chatID may go out: after any pause of the
// chat, then a token of the chat's limiter, then one of the global one. The
// chat comes first so one busy chat does not hold global tokens it cannot use.
func (l *limits) wait(ctx context.Context, chatID int64) error {
	now := time.Now()
	l.mu.Lock()
	c := l.chatLocked(chatID, now)
	pause := c.pausedUntil
	if !l.slowUntil.IsZero() && now.After(l.slowUntil) {
		l.global.SetLimitAt(now, l.globalRate)
		l.slowUntil = time.Time{}
	}
	l.mu.Unlock()

	if err := sleep(ctx, pause.Sub(now)); err != nil {
		return err
	}
	if err := c.lim.Wait(ctx); err != nil {
		return err
	}
	return l.global.Wait(ctx)
}

// pause holds every message to chatID for d, and halves the global rate
// meanwhile: Telegram's 429 does not say whether the chat or the bot hit
// the limit, so both slow down.
func (l *limits) pause(chatID int64, d time.Duration) {
	now := time.Now()
	until := now.Add(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.chatLocked(chatID, now)
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	if until.After(l.slowUntil) {
		l.slowUntil = until
	}
	l.global.SetLimitAt(now, l.globalRate/2)
}

// chatLocked returns the chat's limiter, sweeping idle ones now and then so
// the map holds only chats active lately.
func (l *limits) chatLocked(chatID int64, now time.Time) *chatLimiter {
	if now.Sub(l.lastSweep) > l.idle {
		for id, c := range l.chats {
			if now.Sub(c.used) > l.idle && now.After(c.pausedUntil) {
				delete(l.chats, id)
			}
		}
		l.lastSweep = now
	}
	c, ok := l.chats[chatID]
	if !ok {
		c = &chatLimiter{lim: rate.NewLimiter(l.perChat, l.burst)}
		l.chats[chatID] = c
	}
	c.used = now
	return c
}

// size is the number of chats with a limiter (for tests).
func (l *limits) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.chats)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
