package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// hostService is the sdk.Host one channel's plugin calls back into: replies
// from its own connection (Slack Socket Mode) and Telegram files to upload.
type hostService struct {
	channel string
	store   store.Store
	notify  func()
	files   FileSource
	// routes lists the channels a conversation is routed to (the router's
	// Route). A reply naming its conversation by id must name one routed to
	// this channel; a thread reference is looked up among this channel's
	// own by the store.
	routes func(store.Conversation) []string
	// lifecycle, when set, measures first replies and closes.
	lifecycle LifecycleObserver
	// typing, when set, shows "typing…" in a Telegram chat (typing
	// actions); without it they are accepted and do nothing.
	typing func(bot string, chatID int64)
	// channels returns the enabled channels, those a transfer may name
	// (asked at each transfer: a config reload may change them).
	channels func() []string
}

// LifecycleObserver measures conversations as tickets (metrics).
type LifecycleObserver interface {
	FirstReply(channel string, took time.Duration)
	Closed(reason string, took time.Duration)
	Rated(score int)
}

// FileSource opens a Telegram file by file_id.
type FileSource interface {
	OpenFile(ctx context.Context, fileID string) (io.ReadCloser, sdk.FileInfo, error)
}

// PostReply stores the reply before answering, so a plugin may acknowledge
// its desk as soon as this returns.
func (h *hostService) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	if err := h.ownConversation(ctx, r); err != nil {
		return sdk.PostReplyResult{}, err
	}
	var res []store.ReplyResult
	err := whenThreadKnown(ctx, len(r.ThreadRef) > 0, func() (err error) {
		res, err = h.store.CommitReplies(ctx, h.channel, []sdk.Reply{r})
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrUnknownConversation) {
			return sdk.PostReplyResult{}, sdk.Permanent(err)
		}
		return sdk.PostReplyResult{}, err
	}
	h.observeReplies(res)
	if !res[0].Duplicate && h.notify != nil {
		h.notify()
	}
	return sdk.PostReplyResult{Duplicate: res[0].Duplicate, ConversationID: res[0].ConversationID}, nil
}

// unknownThreadGrace is how long a reply or action naming a thread the
// host does not know is looked up again before it is refused. A desk can
// show a message and an agent answer it before the host has recorded the
// thread that message's delivery opened (completions are group-committed
// after the plugin answers); answering that fast must not lose the reply.
const unknownThreadGrace = 2 * time.Second

// whenThreadKnown runs commit, and while it fails with an unknown
// conversation and byThread (the conversation is named by thread ref
// only), runs it again every 50 ms for up to unknownThreadGrace.
func whenThreadKnown(ctx context.Context, byThread bool, commit func() error) error {
	deadline := time.Now().Add(unknownThreadGrace)
	for {
		err := commit()
		if !byThread || !errors.Is(err, store.ErrUnknownConversation) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ownConversation refuses a reply that names, by id, a conversation not
// routed to this channel: conversation ids are global, so without this a
// plugin could answer conversations that were never its to answer. (The
// store resolves a conversation id before a thread reference, so a reply
// carrying both is checked too.)
func (h *hostService) ownConversation(ctx context.Context, r sdk.Reply) error {
	return h.ownConversationID(ctx, "reply "+r.ExternalID, r.ConversationID)
}

// ownConversationID is ownConversation for what (a reply or an action)
// naming conversation id.
func (h *hostService) ownConversationID(ctx context.Context, what, id string) error {
	if id == "" || h.routes == nil {
		return nil
	}
	conv, err := h.store.Conversation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return sdk.Permanent(fmt.Errorf("%s: conversation %q: %w", what, id, store.ErrUnknownConversation))
	}
	if err != nil {
		return err
	}
	if !slices.Contains(h.routes(conv), h.channel) {
		return sdk.Permanent(fmt.Errorf("%s: conversation %q is not routed to channel %q: %w",
			what, id, h.channel, store.ErrUnknownConversation))
	}
	return nil
}

// webhookReplies commits the replies a channel's HandleWebhook answered
// with, under the same rule as PostReply: a reply may name, by id, only a
// conversation routed to that channel.
type webhookReplies struct{ h *host }

// CommitReplies implements httpserver.ReplyStore.
func (w webhookReplies) CommitReplies(ctx context.Context, channel string, replies []sdk.Reply) ([]store.ReplyResult, error) {
	own := w.h.hostService(channel)
	for _, r := range replies {
		if err := own.ownConversation(ctx, r); err != nil {
			return nil, err
		}
	}
	byThread := false
	for _, r := range replies {
		byThread = byThread || len(r.ThreadRef) > 0
	}
	var res []store.ReplyResult
	err := whenThreadKnown(ctx, byThread, func() (err error) {
		res, err = w.h.store.CommitReplies(ctx, channel, replies)
		return err
	})
	if err == nil {
		own.observeReplies(res)
	}
	return res, err
}

// PostAction applies an agent's lifecycle action before answering, under
// the rule of PostReply: by id, only a conversation routed to this channel.
func (h *hostService) PostAction(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	if err := h.ownAction(ctx, a); err != nil {
		return sdk.ActionResult{}, err
	}
	var res sdk.ActionResult
	err := whenThreadKnown(ctx, a.ConversationID == "" && len(a.ThreadRef) > 0, func() (err error) {
		res, err = h.apply(ctx, a)
		return err
	})
	if err != nil {
		if errors.Is(err, store.ErrUnknownConversation) || errors.Is(err, store.ErrInvalidAction) {
			return sdk.ActionResult{}, sdk.Permanent(err)
		}
		return sdk.ActionResult{}, err
	}
	if !res.Duplicate {
		h.applied(ctx, res)
	}
	return res, nil
}

// apply applies one action of this channel: lifecycle actions change the
// conversation (store.Lifecycle); react and delete are queued for Telegram
// in the conversation's reply lane (store.Reactions), durably and once;
// typing is ephemeral (nothing stored, never a duplicate); a transfer goes
// through the store's Transfer.
func (h *hostService) apply(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	switch a.Kind {
	case sdk.ActionReact, sdk.ActionDelete:
		return h.store.QueueTelegramAction(ctx, h.channel, a)
	case sdk.ActionTyping:
		c, err := h.store.ActionConversation(ctx, h.channel, a)
		if err != nil {
			return sdk.ActionResult{}, err
		}
		if h.typing != nil && c.State != sdk.StateClosed && !c.Blocked {
			h.typing(c.Bot, c.ChatID)
		}
		return sdk.ActionResult{ConversationID: c.ID, State: c.State}, nil
	case sdk.ActionTransfer:
		return h.transfer(ctx, a)
	}
	return h.store.ApplyAction(ctx, h.channel, a)
}

// transfer moves the conversation to a.Channels (store.Transfer).
func (h *hostService) transfer(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	if a.ExternalID == "" {
		return sdk.ActionResult{}, fmt.Errorf("a transfer has no external id: actions are deduplicated on it: %w", store.ErrInvalidAction)
	}
	if len(a.Channels) == 0 {
		return sdk.ActionResult{}, fmt.Errorf("transfer %s names no channel: %w", a.ExternalID, store.ErrInvalidAction)
	}
	for _, ch := range a.Channels {
		if !slices.Contains(h.channels(), ch) {
			return sdk.ActionResult{}, fmt.Errorf("transfer %s: no enabled channel %q: %w", a.ExternalID, ch, store.ErrInvalidAction)
		}
	}
	res, err := h.store.Transfer(ctx, store.Transfer{ConversationID: a.ConversationID, ThreadRef: a.ThreadRef, Channel: h.channel,
		ExternalID: a.ExternalID, Agent: a.Agent, Channels: slices.Compact(slices.Clone(a.Channels)), History: store.TransferHistory})
	if err != nil {
		return sdk.ActionResult{}, err
	}
	return sdk.ActionResult{Duplicate: res.Duplicate, ConversationID: res.ConversationID, State: res.State, Changed: !res.Duplicate}, nil
}

// ownAction is ownConversationID for an action. A transfer is checked by
// the store instead (store.Transfer: the acting channel must be in the
// conversation), after its deduplication: once applied, the conversation
// is no longer routed to the desk that sent it, and a retry must still
// answer Duplicate.
func (h *hostService) ownAction(ctx context.Context, a sdk.Action) error {
	if a.Kind == sdk.ActionTransfer {
		return nil
	}
	return h.ownConversationID(ctx, "action "+a.ExternalID, a.ConversationID)
}

// observeReplies measures the conversations' first agent replies.
func (h *hostService) observeReplies(res []store.ReplyResult) {
	if h.lifecycle == nil {
		return
	}
	for _, r := range res {
		if r.FirstReply > 0 {
			h.lifecycle.FirstReply(h.channel, r.FirstReply)
		}
	}
}

// applied wakes the dispatcher for the notices an action queued, and
// measures a close.
func (h *hostService) applied(ctx context.Context, res sdk.ActionResult) {
	if h.notify != nil {
		h.notify()
	}
	if h.lifecycle == nil || !res.Changed || res.State != sdk.StateClosed {
		return
	}
	if c, err := h.store.Conversation(ctx, res.ConversationID); err == nil {
		h.lifecycle.Closed(c.CloseReason, c.ClosedAt.Sub(c.StartedAt))
	}
}

// ApplyActions implements httpserver.ActionStore: the actions a channel's
// HandleWebhook answered with, each under the rule of PostAction.
func (w webhookReplies) ApplyActions(ctx context.Context, channel string, actions []sdk.Action) ([]sdk.ActionResult, error) {
	own := w.h.hostService(channel)
	own.notify = nil // the webhook handler wakes the dispatcher
	for _, a := range actions {
		if err := own.ownAction(ctx, a); err != nil {
			return nil, err
		}
	}
	out := make([]sdk.ActionResult, 0, len(actions))
	for _, a := range actions {
		res, err := own.apply(ctx, a)
		if err != nil {
			return out, err
		}
		if !res.Duplicate {
			own.applied(ctx, res)
		}
		out = append(out, res)
	}
	return out, nil
}

// OpenFile streams a Telegram file to the plugin.
func (h *hostService) OpenFile(ctx context.Context, fileRef string) (io.ReadCloser, sdk.FileInfo, error) {
	return h.files.OpenFile(ctx, fileRef)
}

// hostFor is the Host one channel's plugin (or in-process channel) calls.
func (h *host) hostFor(channel string) sdk.Host {
	return h.hostService(channel)
}

func (h *host) hostService(channel string) *hostService {
	hs := &hostService{channel: channel, store: h.store, notify: h.disp.Notify, files: h.bots, routes: h.router.Route, channels: h.router.Channels}
	hs.typing = h.bots.typing
	if h.lifecycle != nil { // a nil *metrics.Lifecycle must not become a non-nil observer
		hs.lifecycle = h.lifecycle
	}
	return hs
}
