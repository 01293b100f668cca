package app

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

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
)

// outboxUsage is the usage of parley outbox's arguments.
const outboxUsage = "usage: parley outbox [--all] | parley outbox retry KIND:ID (KIND is delivery or reply) | " +
	"parley outbox retry --all [--channel NAME]"

// Outbox lists pending and failed deliveries and replies, or with args
// "retry KIND:ID" makes one row ready again, or with "retry --all
// [--channel NAME]" every failed row (of one channel).
func Outbox(ctx context.Context, cfg *config.Config, args []string, all bool, out io.Writer) error {
	if len(args) > 0 && args[0] != "retry" {
		return errors.New(outboxUsage)
	}
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
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
			next = time.Until(r.NextAttemptAt).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Kind, r.ID, channel, r.ConversationID, r.MessageID,
			r.State, r.Attempts, next, time.Since(r.CreatedAt).Round(time.Second), oneLine(r.LastError, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "outbox is empty: everything was delivered")
	}
	return nil
}

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
