package app

import (
	"context"
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

// Outbox lists pending and failed deliveries and replies, or with args
// "retry KIND:ID" makes one row ready again.
func Outbox(ctx context.Context, cfg *config.Config, args []string, all bool, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(args) > 0 {
		if args[0] != "retry" || len(args) != 2 {
			return fmt.Errorf("usage: parley outbox [--all] | parley outbox retry KIND:ID (KIND is delivery or reply)")
		}
		kind, idText, ok := strings.Cut(args[1], ":")
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || err != nil || (kind != "delivery" && kind != "reply") {
			return fmt.Errorf("%q is not KIND:ID, e.g. delivery:42 or reply:7 (the first column of parley outbox)", args[1])
		}
		if err := st.RetryNow(ctx, kind, id); err != nil {
			return fmt.Errorf("retry %s: %w", args[1], err)
		}
		fmt.Fprintf(out, "%s is ready again; a running parley picks it up within a second\n", args[1])
		return nil
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
