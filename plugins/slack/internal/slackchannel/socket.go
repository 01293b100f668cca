package slackchannel

import (
	"context"
	"errors"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// socketRunner holds the Socket Mode websocket for one configuration.
type socketRunner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *socketRunner) stop() {
	r.cancel()
	<-r.done
}

// restartSocket stops the previous connection and, in Socket Mode, opens a
// new one for st. The connection outlives the Configure call, so its
// context keeps ctx's values but not its cancellation.
func (c *Channel) restartSocket(ctx context.Context, st *state) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.socket != nil {
		c.socket.stop()
		c.socket = nil
	}
	if !st.cfg.socketMode() {
		return
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &socketRunner{cancel: cancel, done: make(chan struct{})}
	c.socket = r
	go func() {
		defer close(r.done)
		c.runSocket(runCtx, st)
	}()
}

// fatalSocketErrors end Socket Mode for good: the tokens were refused.
var fatalSocketErrors = map[string]bool{
	"invalid_auth": true, "account_inactive": true, "not_authed": true, "token_revoked": true,
	"not_allowed_token_type": true,
}

// runSocket keeps a Socket Mode connection until ctx ends. slack-go
// reconnects by itself on disconnects and lost pings; when its run loop
// gives up on anything but a refused token, a new client starts after a
// backoff.
func (c *Channel) runSocket(ctx context.Context, st *state) {
	backoff := time.Second
	for ctx.Err() == nil {
		sm := socketmode.New(st.api)
		loopCtx, stopLoop := context.WithCancel(ctx)
		loopDone := make(chan struct{})
		go func() {
			defer close(loopDone)
			c.socketEvents(loopCtx, st, sm)
		}()
		err := sm.RunContext(loopCtx)
		stopLoop()
		<-loopDone
		if ctx.Err() != nil {
			return
		}
		if fatalSocketErrors[slackCode(err)] || (err != nil && fatalSocketErrors[err.Error()]) {
			st.log.Error("Socket Mode stopped: Slack refused the app token; fix app_token and reconfigure", "error", err)
			return
		}
		st.log.Warn("Socket Mode connection ended; reconnecting", "error", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// socketEvents handles envelopes in order. Each events_api envelope is
// acknowledged only after its replies were stored by the host, so an
// envelope lost with a crash or a failed PostReply is redelivered by Slack.
func (c *Channel) socketEvents(ctx context.Context, st *state, sm *socketmode.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-sm.Events:
			if !ok {
				return
			}
			switch evt.Type {
			case socketmode.EventTypeConnected:
				st.log.Info("Socket Mode connected")
			case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError:
				st.log.Warn("Socket Mode trouble", "event", string(evt.Type), "data", evt.Data)
			case socketmode.EventTypeInvalidAuth:
				st.log.Error("Socket Mode: Slack refused app_token")
			case socketmode.EventTypeEventsAPI:
				c.socketEvent(ctx, st, sm, evt)
			default:
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					_ = sm.Ack(*evt.Request) // slash commands and interactions are not ours
				}
			}
		}
	}
}

func (c *Channel) socketEvent(ctx context.Context, st *state, sm *socketmode.Client, evt socketmode.Event) {
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok || evt.Request == nil {
		return
	}
	id := ""
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		id = cb.EventID
	}
	_, _, err := c.events.do(id, func() ([]sdk.Reply, error) {
		replies, err := c.repliesFor(ctx, st, ev)
		if err != nil {
			return nil, err
		}
		for _, r := range replies {
			if _, err := st.host.PostReply(ctx, r); err != nil {
				return nil, err
			}
		}
		return replies, nil
	})
	if err != nil {
		// No ack: Slack redelivers the envelope and the host's dedup on
		// ExternalID keeps any reply already stored from being sent twice.
		if !errors.Is(err, context.Canceled) {
			st.log.Error("Socket Mode event not stored; leaving it unacknowledged", "event_id", id, "error", err)
		}
		return
	}
	if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
		st.log.Warn("ack failed", "envelope_id", evt.Request.EnvelopeID, "error", err)
	}
}
