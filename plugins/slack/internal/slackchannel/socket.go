package slackchannel

import (
	"context"
	"errors"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack"
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
			case socketmode.EventTypeInteractive:
				c.socketClick(ctx, st, sm, evt)
			default:
				if evt.Request != nil && evt.Request.EnvelopeID != "" {
					_ = sm.Ack(*evt.Request) // slash commands are not ours
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
	_, _, err := c.events.do(id, func() (outcome, error) {
		out, err := c.outcomeFor(ctx, st, ev)
		if err != nil {
			return outcome{}, err
		}
		for _, r := range out.replies {
			if _, err := st.host.PostReply(ctx, r); err != nil {
				return outcome{}, err
			}
		}
		return out, c.postActions(ctx, st, out.actions)
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

// postActions hands actions to the host, as a webhook answer would. An
// action the host refuses for good (a conversation it no longer knows) is
// dropped with a log line: a redelivery could not change the answer.
func (c *Channel) postActions(ctx context.Context, st *state, actions []sdk.Action) error {
	for _, a := range actions {
		res, err := st.host.PostAction(ctx, a)
		if err != nil && sdk.IsPermanent(err) {
			st.log.Warn("the host refused an action", "action", string(a.Kind), "id", a.ExternalID, "error", err)
			continue
		}
		if err != nil {
			return err
		}
		st.log.Debug("action stored", "action", string(a.Kind), "id", a.ExternalID, "conversation", res.ConversationID,
			"duplicate", res.Duplicate, "changed", res.Changed)
	}
	return nil
}

// socketClick handles an interactive envelope: a click on a header's
// button is acknowledged once the host stored its action, so a failure
// shows the agent Slack's error instead of a click that did nothing.
func (c *Channel) socketClick(ctx context.Context, st *state, sm *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		return
	}
	ic, ok := evt.Data.(slack.InteractionCallback)
	var err error
	if ok {
		_, _, err = c.events.do(firstNonEmpty(ic.TriggerID, evt.Request.EnvelopeID), func() (outcome, error) {
			a, ok, err := c.clickAction(ctx, st, ic)
			if !ok || err != nil {
				return outcome{}, err
			}
			return outcome{actions: []sdk.Action{a}}, c.postActions(ctx, st, []sdk.Action{a})
		})
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			st.log.Error("click not stored; leaving it unacknowledged", "envelope_id", evt.Request.EnvelopeID, "error", err)
		}
		return
	}
	if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
		st.log.Warn("ack failed", "envelope_id", evt.Request.EnvelopeID, "error", err)
	}
}
