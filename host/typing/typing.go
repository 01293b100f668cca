// Package typing keeps Telegram's "typing…" indicator up in a customer's
// chat while an agent types: Telegram shows one chat action for about five
// seconds, so the indicator is re-sent every Interval until Span has passed
// since the last typing action or an agent reply is sent (Stop). However
// often agents report typing, a chat gets at most one chat action per
// Interval. Nothing is stored: typing is ephemeral.
package typing

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Defaults of Keeper.
const (
	// Interval is the spacing of chat actions to one chat (Telegram shows
	// one for up to five seconds).
	Interval = 4 * time.Second
	// Span is how long one typing action keeps the indicator up.
	Span = 30 * time.Second
)

// Keeper sends chat actions. The zero value is not usable; call New.
type Keeper struct {
	send func(ctx context.Context, chatID int64) error
	log  hclog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	chats map[int64]*chat
}

// chat is one chat's indicator: kept up until until.
type chat struct {
	until time.Time
}

// New returns a Keeper that shows "typing…" with send (sendChatAction).
func New(send func(ctx context.Context, chatID int64) error, log hclog.Logger) *Keeper {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Keeper{send: send, log: log, ctx: ctx, cancel: cancel, chats: map[int64]*chat{}}
}

// Start shows "typing…" in chatID now, unless it was shown less than
// Interval ago, and keeps it up for Span from now.
func (k *Keeper) Start(chatID int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ctx.Err() != nil {
		return
	}
	until := time.Now().Add(Span)
	if c, ok := k.chats[chatID]; ok {
		c.until = until
		return
	}
	c := &chat{until: until}
	k.chats[chatID] = c
	k.wg.Add(1)
	go k.keep(chatID, c)
}

// Stop ends the indicator of chatID (an agent reply was sent): no chat
// action follows unless Start is called again.
func (k *Keeper) Stop(chatID int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.chats[chatID]; ok {
		// The keeper notices at its next tick; it stays in the map until
		// then, so a Start meanwhile still waits out the interval.
		c.until = time.Time{}
	}
}

// Close stops every indicator and waits for the keepers to end.
func (k *Keeper) Close() {
	k.cancel()
	k.wg.Wait()
}

// keep sends a chat action every Interval while the chat's until lies
// ahead.
func (k *Keeper) keep(chatID int64, c *chat) {
	defer k.wg.Done()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-k.ctx.Done():
			return
		case <-t.C:
		}
		k.mu.Lock()
		if !time.Now().Before(c.until) {
			delete(k.chats, chatID)
			k.mu.Unlock()
			return
		}
		k.mu.Unlock()
		ctx, cancel := context.WithTimeout(k.ctx, Interval)
		if err := k.send(ctx, chatID); err != nil && k.ctx.Err() == nil {
			k.log.Debug("showing typing failed", "chat", chatID, "error", err)
		}
		cancel()
		t.Reset(Interval)
	}
}
