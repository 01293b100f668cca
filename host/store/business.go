package store

import (
	"context"
	"strings"
	"time"
)

// Business is the store's record of Telegram Business connections: a
// Business account's owner connects the bot in Telegram's settings, and
// the bot then answers the account's private chats through the
// connection. The connection (its rights, whether it is enabled) decides
// whether a reply in such a chat can leave at all.
type Business interface {
	// SaveBusinessConnection stores c, replacing what was stored under
	// its id, and returns the connection as it was before (found false
	// when it is new), so the caller can tell a connect or disconnect
	// from a repeat.
	SaveBusinessConnection(ctx context.Context, c BusinessConnection) (prev BusinessConnection, found bool, err error)
	// BusinessConnection returns a stored connection; ErrNotFound when
	// there is none of that id.
	BusinessConnection(ctx context.Context, id string) (BusinessConnection, error)
	// BusinessConnections lists the stored connections, most recently
	// changed first.
	BusinessConnections(ctx context.Context) ([]BusinessConnection, error)
	// MessageTexts returns the text of each stored message among ids (a
	// deleted Business message's notice quotes it); ids Parley does not
	// have, or no longer has, are missing from the map.
	MessageTexts(ctx context.Context, ids []string) (map[string]string, error)
	// LastCustomerMessage is the Telegram message id of the customer's
	// latest message in a conversation (not a notice, not an edit), 0
	// when there is none: a reply in a Business chat marks it read.
	LastCustomerMessage(ctx context.Context, conversationID string) (int64, error)
}

// BusinessConnection is a Business account's connection to the bot.
type BusinessConnection struct {
	// ID is Telegram's business_connection_id.
	ID string
	// UserID and the names are the Business account's owner.
	UserID    int64
	Username  string
	FirstName string
	LastName  string
	// UserChatID is the owner's private chat with the bot.
	UserChatID int64
	// Rights are the rights the owner gave the bot, by Bot API name
	// ("can_reply", "can_read_messages", ...), only those granted.
	Rights []string
	// Enabled is false once the owner disabled or removed the connection.
	Enabled bool
	// Date is when the connection was made.
	Date time.Time
	// UpdatedAt is when the host last stored it.
	UpdatedAt time.Time
}

// Business API rights Parley uses.
const (
	RightReply        = "can_reply"
	RightReadMessages = "can_read_messages"
)

// Can reports whether the connection grants right.
func (c BusinessConnection) Can(right string) bool {
	for _, r := range c.Rights {
		if r == right {
			return true
		}
	}
	return false
}

// Name is the owner's display name: first and last name, else @username.
func (c BusinessConnection) Name() string {
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if name == "" && c.Username != "" {
		name = "@" + c.Username
	}
	return name
}

// Problem says, in a sentence an agent understands, why replies through
// the connection cannot be sent; "" when they can.
func (c BusinessConnection) Problem() string {
	who := c.Name()
	if who == "" {
		who = "the account's owner"
	}
	switch {
	case !c.Enabled:
		return "The Telegram Business connection of " + who + " is disabled or was removed: replies cannot reach the customer until the owner connects the bot again in Telegram Business settings."
	case !c.Can(RightReply):
		return "The Telegram Business connection of " + who + " does not allow the bot to reply to messages: the owner must grant that right in Telegram Business settings."
	}
	return ""
}
