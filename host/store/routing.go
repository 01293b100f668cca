package store

import (
	"context"

	"github.com/parley-dev/parley/sdk"
	"strings"
	"time"
)

// RouteState says how a conversation's channels are chosen.
type RouteState string

// Route states.
const (
	// RouteDefault: no route stored (conversations from before routing,
	// or started with no rules configured); each message goes to the
	// channels intake names (Inbound.Channels), as before routing.
	RouteDefault RouteState = ""
	// RouteUndecided: started with rules configured by an update that
	// decided nothing (a bare /start); the next update with a message
	// decides.
	RouteUndecided RouteState = "undecided"
	// RouteMenu: the customer was asked the menu; messages are stored
	// without deliveries until a tap, or the menu's timeout, routes them.
	RouteMenu RouteState = "menu"
	// RouteSet: the conversation goes to Conversation.Route.
	RouteSet RouteState = "set"
)

// Routing is how an update routes the conversation it starts
// (Inbound.Routing); nil when no routing is configured.
type Routing struct {
	// Channels is the route the update decides: a rule matched, or the
	// update has a message and no rule matched (the default route). Nil
	// when it decides nothing yet.
	Channels []string
	// Menu, when set (and Channels nil), asks the customer the menu: the
	// conversation waits in RouteMenu, and Question is queued as a host
	// reply whose ExternalID is MenuReplyID of a new menu.
	Menu *MenuAsk
}

// MenuAsk is a menu to ask.
type MenuAsk struct {
	Question string
}

// MenuTap is a customer's tap on a menu button, verified as the host's
// own button.
type MenuTap struct {
	// Bot is the config name of the bot the tap came through ("" means
	// DefaultBot); update ids are per bot.
	Bot string
	// UpdateID is the Telegram update of the tap; it is committed once.
	UpdateID int64
	MenuID   string
	// ChatID is the chat the tap came from.
	ChatID int64
	// Channels the chosen option routes to.
	Channels []string
	// Time of the tap; now when zero.
	Time time.Time
}

// MenuOutcome is what a tap did.
type MenuOutcome string

// Menu outcomes.
const (
	// MenuRouted: the conversation was routed now.
	MenuRouted MenuOutcome = "routed"
	// MenuExpired: the menu is answered, timed out, of another chat or
	// unknown; nothing changed.
	MenuExpired MenuOutcome = "expired"
	// MenuDuplicate: the update was committed before.
	MenuDuplicate MenuOutcome = "duplicate"
)

// MenuResult is what ChooseRoute did.
type MenuResult struct {
	Outcome        MenuOutcome
	ConversationID string
}

// Transfer moves a conversation to other channels.
type Transfer struct {
	// ConversationID, or ThreadRef (a thread of Channel), names the
	// conversation.
	ConversationID string
	ThreadRef      []byte
	// Channels take the conversation over; they become its route.
	Channels []string
	// Channel and ExternalID name the desk action that asked, which is
	// applied once per pair; both empty for an operator's transfer.
	Channel    string
	ExternalID string
	// Agent is who transferred ("" for an operator or an agent unnamed).
	Agent string
	// History is how many of the conversation's latest messages the new
	// channels get, as one context message.
	History int
}

// TransferResult is what Transfer did.
type TransferResult struct {
	// Duplicate: the action had been applied before; nothing changed.
	Duplicate bool
	// ConversationID and State name the conversation transferred.
	ConversationID string
	State          sdk.ConversationState
	// From are the channels the conversation was in before; To, its route now.
	From, To []string
}

// TransferHistory is how many recent messages a transfer hands over.
const TransferHistory = 20

// Router is the routing a store keeps: the route each conversation took,
// the menus waiting for a tap, and transfers.
type Router interface {
	// ChooseRoute stores a tap on a menu button once: the update id is
	// recorded (a repeat answers MenuDuplicate); if the menu is the
	// tapping chat's, still waiting, the conversation takes tap.Channels
	// and every message it holds is queued to them, in order.
	ChooseRoute(ctx context.Context, tap MenuTap) (MenuResult, error)
	// ExpireMenus routes up to limit conversations whose menu, asked
	// before the given time, got no tap, to route(conversation), queuing
	// what they hold; it returns how many it routed.
	ExpireMenus(ctx context.Context, before time.Time, limit int, route func(Conversation) []string) (int, error)
	// Transfer moves a conversation to t.Channels in one transaction: the
	// route changes, the new channels (those it was not in) get the
	// latest t.History messages as one context message, and the channels
	// it leaves a transfer notice. An unknown conversation wraps
	// ErrNotFound; with t.ExternalID, a repeat answers Duplicate; a desk's
	// transfer (t.Channel) of a conversation not in its channel (its
	// route, or before routing its lanes) wraps ErrUnknownConversation.
	Transfer(ctx context.Context, t Transfer) (TransferResult, error)
}

// MenuReplyID is the ExternalID of the host reply that asks menu id.
func MenuReplyID(id string) string { return menuPrefix + id }

// MenuOf reports whether r is the question of a menu, and which.
func MenuOf(r OutgoingReply) (string, bool) {
	id, ok := strings.CutPrefix(r.Reply.ExternalID, menuPrefix)
	if r.Channel != "" || r.Reply.EditOf != "" || !ok || strings.Contains(id, ":") {
		return "", false
	}
	return id, true
}

const menuPrefix = "menu:"
