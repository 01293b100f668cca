package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
)

// replicaWindow is how recent a heartbeat must be for a replica to count
// as alive (heartbeats come every heartbeatEvery).
const replicaWindow = 20 * time.Second

// Status prints the installation's state from the store: replicas alive
// and which one polls Telegram, and the outbox backlog per channel with the
// oldest pending age. It works beside running replicas.
func Status(ctx context.Context, cfg *config.Config, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	replicas, err := st.Replicas(ctx, replicaWindow)
	if err != nil {
		return err
	}
	backlog, err := st.Backlog(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Telegram intake: %s\n\n", cfg.Telegram.Mode)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tHOST\tPID\tVERSION\tROLE\tUP\tLAST SEEN")
	for _, r := range replicas {
		role := "worker"
		if len(r.Leads) > 0 {
			role = "worker, " + strings.Join(r.Leads, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s ago\n", r.Owner, r.Hostname, r.PID, r.Version, role,
			time.Since(r.StartedAt).Round(time.Second), time.Since(r.SeenAt).Round(time.Second))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(replicas) == 0 {
		fmt.Fprintln(out, "no replica is running (no heartbeat in the last 20s)")
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
			age = time.Since(b.OldestPending).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", b.Channel, b.Pending, b.Failed, age)
	}
	return tw.Flush()
}
