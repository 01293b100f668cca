// Package cli renders the reports of parley's command line (status, outbox,
// conversations, close) from what the store returns. The commands in
// host/cmd/parley reach it through host/app, which opens the store.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// Status prints the installation's state from the store: the bots and
// which replica polls each, the replicas alive, and the outbox backlog per
// channel with the oldest pending age. It works beside running replicas;
// now is the time ages are measured from.
// A replica counts as alive when its last heartbeat is within window.
func Status(ctx context.Context, st store.Store, cfg *config.Config, window time.Duration, now time.Time, out io.Writer) error {
	replicas, err := st.Replicas(ctx, window)
	if err != nil {
		return err
	}
	backlog, err := st.Backlog(ctx)
	if err != nil {
		return err
	}
	if err := botStatus(ctx, st, cfg, replicas, out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tHOST\tPID\tVERSION\tROLE\tUP\tLAST SEEN")
	for _, r := range replicas {
		role := "worker"
		if len(r.Leads) > 0 {
			role = "worker, " + strings.Join(r.Leads, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s ago\n", r.Owner, r.Hostname, r.PID, r.Version, role,
			now.Sub(r.StartedAt).Round(time.Second), now.Sub(r.SeenAt).Round(time.Second))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(replicas) == 0 {
		fmt.Fprintf(out, "no replica is running (no heartbeat in the last %s)\n", window)
	}
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tPENDING\tFAILED\tOLDEST PENDING")
	// Every configured channel is listed, idle ones with zeros.
	listed := map[string]bool{}
	for _, b := range backlog {
		listed[b.Channel] = true
	}
	for _, ch := range append(cfg.EnabledChannels(), config.Channel{Name: "telegram"}) {
		if !listed[ch.Name] {
			backlog = append(backlog, store.Backlog{Channel: ch.Name})
		}
	}
	for _, b := range backlog {
		age := "-"
		if !b.OldestPending.IsZero() {
			age = now.Sub(b.OldestPending).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", b.Channel, b.Pending, b.Failed, age)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return businessStatus(ctx, st, now, out)
}

// botStatus lists the configured bots: how each receives its updates, which
// replica polls it (the holder of its poller lease) and the next update id
// it will ask Telegram for.
func botStatus(ctx context.Context, st store.Store, cfg *config.Config, replicas []store.Replica, out io.Writer) error {
	polledBy := map[string]string{}
	for _, r := range replicas {
		for _, lease := range r.Leads {
			if bot, ok := store.PollerLeaseBot(lease); ok {
				polledBy[bot] = r.Owner
			}
		}
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BOT\tMODE\tINTAKE\tNEXT UPDATE")
	for _, b := range cfg.Bots() {
		intake := "webhook " + b.WebhookPath
		if b.Mode != config.ModeWebhook {
			intake = "not polled: no running replica holds " + store.PollerLease(b.Name)
			if owner := polledBy[b.Name]; owner != "" {
				intake = "polled by " + owner
			}
		}
		offset, err := st.TelegramOffset(ctx, b.Name)
		if err != nil {
			return fmt.Errorf("bot %s: %w", b.Name, err)
		}
		next := "-"
		if offset > 0 {
			next = strconv.FormatInt(offset, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name, b.Mode, intake, next)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	return nil
}

// businessStatus lists the Telegram Business connections, when there are
// any: whose account, enabled or not, and the rights replies need.
func businessStatus(ctx context.Context, st store.Store, now time.Time, out io.Writer) error {
	conns, err := st.BusinessConnections(ctx)
	if err != nil || len(conns) == 0 {
		return err
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUSINESS ACCOUNT\tUSER ID\tCONNECTION\tSTATE\tRIGHTS\tCHANGED")
	for _, c := range conns {
		state := "enabled"
		switch {
		case !c.Enabled:
			state = "disabled"
		case !c.Can(store.RightReply):
			state = "enabled, cannot reply"
		}
		rights := strings.Join(c.Rights, ",")
		if rights == "" {
			rights = "-"
		}
		name := c.Name()
		if c.Username != "" && name != "@"+c.Username {
			name += " (@" + c.Username + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s ago\n", name, c.UserID, c.ID, state, rights,
			now.Sub(c.UpdatedAt).Round(time.Second))
	}
	return tw.Flush()
}

// outboxUsage is the usage of parley outbox's arguments.
const outboxUsage = "usage: parley outbox [--all] | parley outbox retry KIND:ID (KIND is delivery or reply) | " +
	"parley outbox retry --all [--channel NAME]"

// Outbox lists pending and failed deliveries and replies, or with args
// "retry KIND:ID" makes one row ready again, or with "retry --all
// [--channel NAME]" every failed row (of one channel).
// Call CheckOutboxArgs before opening the store.
func Outbox(ctx context.Context, st store.Store, args []string, all bool, now time.Time, out io.Writer) error {
	if err := CheckOutboxArgs(args); err != nil {
		return err
	}
	if len(args) > 0 {
		return outboxRetry(ctx, st, args[1:], out)
	}
	states := []store.State{store.StatePending, store.StateFailed}
	if all {
		states = nil
	}
	rows, err := st.Queue(ctx, 500, states...)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCHANNEL\tCONVERSATION\tMESSAGE\tSTATE\tATTEMPTS\tNEXT\tAGE\tLAST ERROR")
	for _, r := range rows {
		channel := r.Channel
		if channel == "" {
			channel = "telegram"
		}
		next := "-"
		if r.State == store.StatePending && !r.NextAttemptAt.IsZero() {
			next = r.NextAttemptAt.Sub(now).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Kind, r.ID, channel, r.ConversationID, r.MessageID,
			r.State, r.Attempts, next, now.Sub(r.CreatedAt).Round(time.Second), oneLine(r.LastError, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "outbox is empty: everything was delivered")
	}
	return nil
}

// oneLine folds s onto one line of at most n runes ("-" when empty).
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// CheckOutboxArgs rejects arguments parley outbox does not take.
func CheckOutboxArgs(args []string) error {
	if len(args) > 0 && args[0] != "retry" {
		return errors.New(outboxUsage)
	}
	return nil
}

// outboxRetry makes one row, or every failed row, ready again.
func outboxRetry(ctx context.Context, st store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("parley outbox retry", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "")
	channel := fs.String("channel", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v\n%s", err, outboxUsage)
	}
	switch {
	case *all && fs.NArg() == 0:
		return retryFailed(ctx, st, *channel, out)
	case *all || *channel != "" || fs.NArg() != 1:
		return errors.New(outboxUsage)
	}
	row := fs.Arg(0)
	kind, idText, ok := strings.Cut(row, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || (kind != "delivery" && kind != "reply") {
		return fmt.Errorf("%q is not KIND:ID, e.g. delivery:42 or reply:7 (the first column of parley outbox)", row)
	}
	if err := st.RetryNow(ctx, kind, id); err != nil {
		return fmt.Errorf("retry %s: %w", row, err)
	}
	fmt.Fprintf(out, "%s is ready again; a running parley picks it up within a second\n", row)
	return nil
}

// retryFailed makes every failed row of channel ("" for all, "telegram"
// for replies) ready again, with its attempts reset.
func retryFailed(ctx context.Context, st store.Store, channel string, out io.Writer) error {
	fr, ok := st.(store.FailedRetrier)
	if !ok {
		return errors.New("this store cannot retry rows in bulk")
	}
	n, err := fr.RetryFailed(ctx, channel)
	if err != nil {
		return err
	}
	what := "failed rows"
	if channel != "" {
		what = fmt.Sprintf("failed rows of channel %s", channel)
	}
	fmt.Fprintf(out, "%d %s are ready again; a running parley picks them up within a second\n", n, what)
	return nil
}

// ConversationsFilter selects what parley conversations lists.
type ConversationsFilter struct {
	// State is "", "open", "claimed" or "closed".
	State string
	// TelegramUserID, when not 0, lists that customer's conversations.
	TelegramUserID int64
}

// Check rejects a filter parley conversations does not take.
func (f ConversationsFilter) Check() error {
	switch sdk.ConversationState(f.State) {
	case "", sdk.StateOpen, sdk.StateClaimed, sdk.StateClosed:
		return nil
	}
	return fmt.Errorf("--state must be open, claimed or closed, not %q", f.State)
}

// Conversations lists conversations, most recently active first
// (parley conversations).
// Call f.Check before opening the store.
func Conversations(ctx context.Context, st store.Store, f ConversationsFilter, now time.Time, out io.Writer) error {
	if err := f.Check(); err != nil {
		return err
	}
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
			now.Sub(c.UpdatedAt).Round(time.Second), prev)
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
func CloseConversation(ctx context.Context, st store.Store, ref string, out io.Writer) error {
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
