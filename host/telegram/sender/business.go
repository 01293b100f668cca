package sender

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
)

// Telegram Business: a reply in a Business chat leaves on behalf of the
// account, with the connection's business_connection_id on every call.
// The id travels in the context rather than as a parameter of every
// method, so one reply's text, parts, files, edits and keyboard all carry
// it without each signature (and every caller) growing a field.

type businessKey struct{}

// WithBusinessConnection returns ctx under which every send and edit goes
// through the Telegram Business connection id ("" for the bot's own
// chats).
func WithBusinessConnection(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, businessKey{}, id)
}

// businessConnection is the connection ctx sends through, "" for none.
func businessConnection(ctx context.Context) string {
	id, _ := ctx.Value(businessKey{}).(string)
	return id
}

// ReadBusinessMessage marks a customer's message in a Business chat read
// on behalf of the account (readBusinessMessage; needs the connection's
// can_read_messages). Once: marking read is a courtesy, not worth a retry.
func (s *Sender) ReadBusinessMessage(ctx context.Context, connectionID string, chatID, messageID int64) error {
	start := time.Now()
	err := s.bot.ReadBusinessMessage(ctx, &telego.ReadBusinessMessageParams{
		BusinessConnectionID: connectionID, ChatID: chatID, MessageID: int(messageID),
	})
	result := ResultOK
	if err != nil {
		err = scrub(err)
		result = ResultError
	}
	s.obs.Call("readBusinessMessage", result, time.Since(start))
	if err != nil {
		return fmt.Errorf("readBusinessMessage: %w", err)
	}
	return nil
}

// BusinessError is Telegram's refusal of a call through a Business
// connection: the connection is disabled or gone, or lacks the right.
type BusinessError struct {
	Method      string
	Description string
	err         error
}

// Unwrap returns Telegram's error.
func (e *BusinessError) Unwrap() error { return e.err }

// businessRefusal reports an answer to a call through a Business
// connection that is about the connection, not the customer: a 403 is its
// missing right (BOT_ACCESS_FORBIDDEN), not a customer who blocked the
// bot; a 400 naming the connection is one disabled or removed.
func businessRefusal(e *ta.Error) bool {
	d := strings.ToLower(e.Description)
	return e.ErrorCode == 403 || (e.ErrorCode == 400 && (strings.Contains(d, "business") || strings.Contains(d, "chat not found")))
}

func (e *BusinessError) Error() string {
	return e.Method + " through the Business connection: " + e.Description
}
