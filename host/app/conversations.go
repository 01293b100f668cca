package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// ConversationsFilter selects what parley conversations lists.
type ConversationsFilter struct {
	// State is "", "open", "claimed" or "closed".
	State string
	// TelegramUserID, when not 0, lists that customer's conversations.
	TelegramUserID int64
}

// Conversations lists conversations, most recently active first
// (parley conversations).
func Conversations(ctx context.Context, cfg *config.Config, f ConversationsFilter, out io.Writer) error {
	switch sdk.ConversationState(f.State) {
	case "", sdk.StateOpen, sdk.StateClaimed, sdk.StateClosed:
	default:
		return fmt.Errorf("--state must be open, claimed or closed, not %q", f.State)
	}
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, err := st.ListConversations(ctx, store.ConversationFilter{State: sdk.ConversationState(f.State), TelegramUserID: f.TelegramUserID, Limit: 500})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tID\tUSER\tSTATE\tBY\tLAST ACTIVE\tPREVIOUS")
	for _, c := range cs {
		by := "-"
		switch c.State {
		case sdk.StateClaimed:
			by = c.ClaimedBy
		case sdk.StateClosed:
			by = fmt.Sprintf("%s (%s)", c.ClosedBy, c.CloseReason)
		}
		prev := "-"
		if c.PreviousNumber != 0 {
			prev = fmt.Sprintf("#%d", c.PreviousNumber)
		}
		fmt.Fprintf(tw, "#%d\t%s\t%d\t%s\t%s\t%s ago\t%s\n", c.Number, c.ID, c.Contact.TelegramUserID, c.State, oneLine(by, 40),
			time.Since(c.UpdatedAt).Round(time.Second), prev)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintln(out, "no conversations")
	}
	return nil
}

// CloseConversation closes a conversation, named by id or by number
// ("42" or "#42"), telling every desk it is in (parley close).
func CloseConversation(ctx context.Context, cfg *config.Config, ref string, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	conv, err := findConversation(ctx, st, ref)
	if err != nil {
		return err
	}
	closed, err := st.CloseConversation(ctx, conv.ID, store.Closing{Reason: sdk.CloseByOperator, By: "an operator"})
	if err != nil {
		return err
	}
	if !closed {
		fmt.Fprintf(out, "conversation #%d (%s) was closed already; nothing changed\n", conv.Number, conv.ID)
		return nil
	}
	fmt.Fprintf(out, "closed conversation #%d (%s); the desks will be told\n", conv.Number, conv.ID)
	return nil
}

// findConversation finds a conversation by id or number.
func findConversation(ctx context.Context, st store.Store, ref string) (store.Conversation, error) {
	if n, err := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64); err == nil && n > 0 {
		cs, err := st.ListConversations(ctx, store.ConversationFilter{Number: n, Limit: 1})
		if err != nil {
			return store.Conversation{}, err
		}
		if len(cs) == 0 {
			return store.Conversation{}, fmt.Errorf("no conversation #%d", n)
		}
		return cs[0], nil
	}
	conv, err := st.Conversation(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return conv, fmt.Errorf("no conversation %q (give its id, as parley conversations lists it, or its number)", ref)
	}
	return conv, err
}
