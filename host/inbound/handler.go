// Package inbound holds the intake rules: what a Telegram update becomes
// before it reaches the store (a message, /start with the welcome answer,
// /new closing the current conversation, a rating tap, an ignored update),
// and what follows its commit (unblocking a customer who writes again,
// counting, waking the dispatcher). host/telegram/intake receives the
// updates; [Handler.Handle] is the only path from them into the store.
package inbound

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/hours"
	"github.com/parley-dev/parley/host/router"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/buttons"
	"github.com/parley-dev/parley/host/telegram/files"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/sdk"
)

// Handler commits Telegram updates to the store. It is the only path
// from Telegram into Parley (polling and webhook mode alike), and it returns
// only after every update of the batch is committed: that is what lets the
// caller confirm the batch to Telegram.
type Handler struct {
	// Bot names the bot the updates come through ("" is the default
	// bot): it keys their update ids and chats, picks the bot's default
	// route, and is put into the file references of its attachments.
	Bot    string
	Store  store.Store
	Router *router.Router
	// Welcome answers /start when not empty ([telegram] welcome_message).
	Welcome string
	// Policy is what a message does after a close ([conversations]).
	Policy store.IntakePolicy
	// Opts name the bot for normalize; set before the first Handle.
	Opts   normalize.Options
	Notify func()
	Log    hclog.Logger
	// Observer, when set, counts committed updates by kind.
	Observer Observer
	// Lifecycle, when set, counts customers' closes (/new) and ratings.
	Lifecycle Lifecycle
	// Buttons checks taps on the host's inline buttons; taps are
	// answered with Answer. Without them taps are only recorded.
	Buttons *buttons.Signer
	Answer  func(ctx context.Context, queryID, text string) error
	// Thanks answers a rating ([conversations.rating] thanks).
	Thanks string
	// FetchBusiness asks Telegram for a Business connection the host has
	// not seen (getBusinessConnection); nil leaves it unknown.
	FetchBusiness func(ctx context.Context, id string) (normalize.BusinessConnection, error)
	// Business, when set, counts Business connection changes.
	Business BusinessObserver

	business businessCache
	// Photos, when set, is handed each conversation an update started, to
	// look up the customer's profile photo off the message path.
	Photos func(store.Conversation)
	// Hours, when set, are the bot's business hours ([telegram.hours]):
	// messages outside them are marked OutsideHours and may bring the
	// customer an away message. Nil costs intake nothing.
	Hours *hours.Away
	// Clock is the business hours' clock; time.Now when nil.
	Clock func() time.Time
}

// RatingButton is the kind of a rating's buttons (buttons.Button.Kind).
const RatingButton = "r"

// MenuButton is the kind of a menu's buttons; the value is the option's
// index in the menu.
const MenuButton = "m"

// Lifecycle measures conversations as tickets (metrics).
type Lifecycle interface {
	Closed(reason string, took time.Duration)
	Rated(score int)
}

// Answers to taps on rating buttons.
const (
	answerExpired      = "This rating has expired."
	answerAlreadyRated = "You have already rated this conversation. Thank you!"
	// AnswerMenuExpired answers a tap on a menu that is no longer current.
	AnswerMenuExpired = "This menu has expired."
)

// tap is a tap on a rating or menu button, to record after the batch.
type tap struct {
	queryID string
	rating  *store.RatingTap // nil when the button is not a valid rating of this host
	menu    *store.MenuTap   // nil when the button is not a valid menu button of this host
	label   string           // the menu option's label
}

// Observer counts updates (metrics).
type Observer interface {
	UpdateReceived(kind string)
}

// Handle commits a batch of updates; it returns nil only once every update
// is committed, so the caller may confirm the batch to Telegram.
func (h *Handler) Handle(ctx context.Context, batch []intake.Update) error {
	ins := make([]store.Inbound, 0, len(batch))
	kinds := make([]string, 0, len(batch))
	var taps []tap
	var reactions []store.ReactionUpdate
	for _, u := range batch {
		if r := reactionOf(u); r != nil {
			r.Bot = h.Bot
			reactions = append(reactions, *r) // recordReactions commits the update
			continue
		}
		in, kind, err := h.inbound(ctx, u)
		if err != nil {
			return fmt.Errorf("update %d: %w", u.ID, err)
		}
		if t := h.tapOf(u, in); t != nil {
			taps = append(taps, *t)
			if t.rating != nil || t.menu != nil {
				continue // RecordRating or ChooseRoute commits the update
			}
		}
		ins, kinds = append(ins, in), append(kinds, kind)
	}
	results, err := h.commitAll(ctx, ins)
	if err != nil {
		return err
	}
	if err := h.recordTaps(ctx, taps); err != nil {
		return err
	}
	if err := h.recordReactions(ctx, reactions); err != nil {
		return err
	}
	committed := 0
	for i, cr := range results {
		fresh, err := h.committed(ctx, ins[i], kinds[i], cr)
		if err != nil {
			return fmt.Errorf("update %d: %w", ins[i].UpdateID, err)
		}
		if fresh {
			committed++
		}
	}
	if committed > 0 && h.Notify != nil {
		h.Notify()
	}
	return nil
}

// commitAll stores the batch in one transaction when the store can
// (store.InboundBatcher: intake then costs one write per getUpdates batch,
// not one per update), else update by update.
func (h *Handler) commitAll(ctx context.Context, ins []store.Inbound) ([]store.CommitResult, error) {
	if b, ok := h.Store.(store.InboundBatcher); ok && len(ins) > 1 {
		return b.CommitInbounds(ctx, ins)
	}
	out := make([]store.CommitResult, len(ins))
	for i, in := range ins {
		cr, err := h.Store.CommitInbound(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("update %d: %w", in.UpdateID, err)
		}
		out[i] = cr
	}
	return out, nil
}

// inbound normalises one update into what the store commits, and names
// its kind for the metrics. Business updates read and write the store
// first (business.go); an error is the store's.
func (h *Handler) inbound(ctx context.Context, u intake.Update) (store.Inbound, string, error) {
	var res normalize.Result
	if u.Update == nil {
		h.Log.Warn("undecodable Telegram update; passing it on as unsupported", "update_id", u.ID, "error", u.DecodeErr)
		res = normalize.Raw(u.ID, u.Raw, u.DecodeErr)
	} else {
		var err error
		res, err = normalize.UpdateRaw(*u.Update, u.Raw, h.Opts)
		if err != nil {
			h.Log.Warn("malformed Telegram update; passing it on as unsupported", "update_id", u.ID, "error", err)
			res = normalize.Raw(u.ID, u.Raw, err)
		}
	}
	in := store.Inbound{Bot: h.Bot, UpdateID: u.ID, Time: res.Time}
	kind := "ignored"
	switch res.Kind {
	case normalize.Tap:
		// Only the update id here; tapOf and recordTaps do the rest.
		return in, "tap", nil
	case normalize.Connection:
		// Stored before the update id: saving is idempotent, so a crash
		// in between stores it again when Telegram sends it again.
		return in, "business_connection", h.saveConnection(ctx, *res.Connection)
	case normalize.Deleted:
		h.ensureConnection(ctx, res.BusinessConnectionID)
		notices, err := h.deletedNotices(ctx, res.Deleted, res.Time)
		if err != nil || len(notices) == 0 {
			return in, "deleted", err
		}
		res.Kind, res.Message = normalize.Private, nil
		in.Messages = notices
	}
	if res.BusinessConnectionID != "" && res.Kind == normalize.Private {
		h.ensureConnection(ctx, res.BusinessConnectionID)
	}
	if res.Kind != normalize.Private || res.ChatID == 0 {
		// Still committed (with no chat), so the offset moves past it.
		h.Log.Info("ignored Telegram update", "update_id", u.ID, "reason", res.Reason)
	} else {
		kind = "message"
		in.ChatID = res.ChatID
		in.BusinessConnectionID = res.BusinessConnectionID
		in.Contact = res.Contact
		in.Channels = h.Router.ForBot(h.Bot)
		in.Policy = h.Policy
		if res.New {
			kind = "new"
			in.CloseCurrent = true
		}
		if res.Message != nil {
			m := *res.Message
			if store.BotOr(h.Bot) != store.DefaultBot {
				// Telegram message ids are per bot, like chat ids: the
				// stored ids (unique in the store) name the bot too.
				m.ID, m.EditOf = botMessageID(h.Bot, m.ID), botMessageID(h.Bot, m.EditOf)
				if m.ReplyTo != nil {
					q := *m.ReplyTo
					q.MessageID = botMessageID(h.Bot, q.MessageID)
					m.ReplyTo = &q
				}
			}
			if len(m.Attachments) > 0 && store.BotOr(h.Bot) != store.DefaultBot {
				m.Attachments = slices.Clone(m.Attachments)
				for i := range m.Attachments {
					if m.Attachments[i].FileRef != "" {
						m.Attachments[i].FileRef = files.Ref(h.Bot, m.Attachments[i].FileRef)
					}
				}
			}
			in.Messages = []sdk.Message{m}
			kind = string(res.Message.Kind)
			if n := res.Message.Notice; n != nil {
				kind = string(n.Code)
			} else {
				h.outsideHours(&in, res.Contact.LanguageCode)
			}
		}
		if res.BusinessConnectionID != "" && len(in.Messages) > 0 && in.Messages[0].Kind == sdk.KindNotice {
			kind = string(in.Messages[0].Notice.Code)
		}
		if res.Start != nil {
			kind = "start"
			payload := res.Start.Payload
			in.StartPayload = &payload
			if h.Welcome != "" {
				in.Answer = &sdk.Reply{ExternalID: fmt.Sprintf("welcome:%d", u.ID), Text: h.Welcome, Format: sdk.FormatPlain}
			}
		}
		ru := router.Update{Bot: h.Bot, Start: res.Start != nil, Language: res.Contact.LanguageCode}
		if res.Start != nil {
			ru.Payload = res.Start.Payload
		}
		if res.Message != nil {
			ru.HasMessage, ru.Text = true, res.Message.Text
		}
		in.Routing = h.Router.Decide(ru)
	}
	return in, kind, nil
}

// outsideHours marks in's messages when the bot is closed and asks the
// store for the away message (which it throttles). The schedule is
// evaluated in memory: inside hours nothing else happens.
func (h *Handler) outsideHours(in *store.Inbound, languageCode string) {
	if h.Hours == nil {
		return
	}
	now := time.Now()
	if h.Clock != nil {
		now = h.Clock()
	}
	if h.Hours.Schedule.Open(now) {
		return
	}
	edit := false
	for i := range in.Messages {
		in.Messages[i].OutsideHours = true
		edit = edit || in.Messages[i].EditOf != ""
	}
	// An edit is not the customer writing again; "" away_message sends none.
	if edit || h.Hours.Messages == nil {
		return
	}
	in.Away = &store.Away{
		Reply: sdk.Reply{ExternalID: fmt.Sprintf("away:%d", in.UpdateID), Text: h.Hours.Message(now, languageCode), Format: sdk.FormatPlain},
		At:    now, Every: h.Hours.Every, AgentQuiet: h.Hours.AgentQuiet,
	}
}

// committed finishes one committed update; it reports whether anything new
// was stored.
func (h *Handler) committed(ctx context.Context, in store.Inbound, kind string, cr store.CommitResult) (bool, error) {
	if cr.Duplicate {
		return false, nil
	}
	// Counted once committed, so a batch retried after a failed commit (or
	// redelivered by Telegram) is not counted twice.
	if h.Observer != nil {
		h.Observer.UpdateReceived(kind)
	}
	if c := cr.Closed; c != nil && h.Lifecycle != nil {
		h.Lifecycle.Closed(c.CloseReason, c.ClosedAt.Sub(c.StartedAt))
	}
	if in.ChatID != 0 && cr.Conversation.Blocked {
		// The user wrote again: they unblocked the bot.
		if err := h.Store.SetBlocked(ctx, cr.Conversation.ID, false); err != nil {
			return true, err
		}
	}
	if cr.Created && h.Photos != nil {
		h.Photos(cr.Conversation)
	}
	if in.ChatID != 0 && h.Log.IsDebug() {
		h.Log.Debug("update committed", "update_id", in.UpdateID, "conversation", cr.Conversation.ID, "kind", kind)
	}
	return true, nil
}

// tapOf reads a tap on an inline button from an update that normalised to
// a tap (in then records only its update id); nil for other updates.
func (h *Handler) tapOf(u intake.Update, in store.Inbound) *tap {
	if u.Update == nil || u.Update.CallbackQuery == nil {
		return nil
	}
	res, err := normalize.Update(*u.Update, h.Opts)
	if err != nil || res.Kind != normalize.Tap {
		return nil
	}
	t := &tap{queryID: res.Tap.QueryID}
	if h.Buttons == nil {
		return t
	}
	b, err := h.Buttons.Verify(res.Tap.Data)
	if err == nil && b.Kind == MenuButton {
		t.menu = &store.MenuTap{Bot: h.Bot, UpdateID: in.UpdateID, MenuID: b.ID, ChatID: res.ChatID}
		if m := h.Router.Menu(h.Bot); m != nil && b.Value >= 0 && b.Value < len(m.Options) {
			// An option the menu no longer has routes nothing (the store
			// answers expired for no channels).
			t.menu.Channels, t.label = m.Options[b.Value].Channels, m.Options[b.Value].Label
		}
		return t
	}
	if err != nil || b.Kind != RatingButton {
		h.Log.Warn("a tap on a button this host did not make; answered as expired", "update_id", in.UpdateID)
		return t
	}
	t.rating = &store.RatingTap{Bot: h.Bot, UpdateID: in.UpdateID, RatingID: b.ID, Score: b.Value, ChatID: res.ChatID, Thanks: h.Thanks}
	return t
}

// recordTaps stores the batch's ratings, each once, and answers every tap:
// after the store, so a crash leaves a tap unanswered (the button's
// spinner stops by itself) rather than answered and lost.
func (h *Handler) recordTaps(ctx context.Context, taps []tap) error {
	for _, t := range taps {
		answer := answerExpired
		if t.menu != nil {
			res, err := h.Store.ChooseRoute(ctx, *t.menu)
			if err != nil {
				return fmt.Errorf("update %d: %w", t.menu.UpdateID, err)
			}
			h.Log.Info("menu tap", "update_id", t.menu.UpdateID, "outcome", res.Outcome, "conversation", res.ConversationID)
			answer = AnswerMenuExpired
			if res.Outcome == store.MenuRouted || res.Outcome == store.MenuDuplicate {
				answer = t.label
			}
			if res.Outcome == store.MenuRouted && h.Notify != nil {
				h.Notify()
			}
		}
		if t.rating != nil {
			res, err := h.Store.RecordRating(ctx, *t.rating)
			if err != nil {
				return fmt.Errorf("update %d: %w", t.rating.UpdateID, err)
			}
			h.Log.Info("rating tap", "update_id", t.rating.UpdateID, "outcome", res.Outcome, "conversation", res.ConversationID)
			switch res.Outcome {
			case store.Rated, store.RatingDuplicate:
				answer = h.Thanks
				if res.Outcome == store.Rated {
					if h.Lifecycle != nil {
						h.Lifecycle.Rated(t.rating.Score)
					}
					if h.Notify != nil {
						h.Notify()
					}
				}
			case store.AlreadyRated:
				answer = answerAlreadyRated
			}
		}
		if h.Answer != nil && t.queryID != "" {
			if err := h.Answer(ctx, t.queryID, answer); err != nil {
				h.Log.Warn("answering a tap failed", "error", err)
			}
		}
	}
	return nil
}

// botMessageID names bot in a normalised message id ("tg:<chat>:<id>"
// becomes "tg:<bot>:<chat>:<id>"); the default bot's ids stay as they
// were before there were several bots. "" stays "".
func botMessageID(bot, id string) string {
	if rest, ok := strings.CutPrefix(id, "tg:"); ok {
		return "tg:" + bot + ":" + rest
	}
	return id
}
