package app

import (
	"context"
	"io"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/cli"
	"github.com/parley-dev/parley/host/config"
)

// replicaWindow is how recent a heartbeat must be for a replica to count
// as alive (heartbeats come every heartbeatEvery).
const replicaWindow = 20 * time.Second

// ConversationsFilter selects what parley conversations lists.
type ConversationsFilter = cli.ConversationsFilter

// Status prints the installation's state (parley status; see cli.Status).
func Status(ctx context.Context, cfg *config.Config, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	return cli.Status(ctx, st, cfg, replicaWindow, time.Now(), out)
}

// Outbox lists or retries outbox rows (parley outbox; see cli.Outbox).
func Outbox(ctx context.Context, cfg *config.Config, args []string, all bool, out io.Writer) error {
	if err := cli.CheckOutboxArgs(args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	return cli.Outbox(ctx, st, args, all, time.Now(), out)
}

// Conversations lists conversations (parley conversations; see
// cli.Conversations).
func Conversations(ctx context.Context, cfg *config.Config, f ConversationsFilter, out io.Writer) error {
	if err := f.Check(); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	return cli.Conversations(ctx, st, f, time.Now(), out)
}

// CloseConversation closes a conversation by id or number (parley close;
// see cli.CloseConversation).
func CloseConversation(ctx context.Context, cfg *config.Config, ref string, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	return cli.CloseConversation(ctx, st, ref, out)
}

// Transfer moves a conversation by id or number to other channels (parley
// transfer; see cli.Transfer). A running host delivers what it queued
// within its dispatcher's idle poll.
func Transfer(ctx context.Context, cfg *config.Config, ref string, channels []string, out io.Writer) error {
	st, err := openStore(ctx, cfg, hclog.NewNullLogger(), true)
	if err != nil {
		return err
	}
	defer st.Close()
	var enabled []string
	for _, ch := range cfg.EnabledChannels() {
		enabled = append(enabled, ch.Name)
	}
	return cli.Transfer(ctx, st, ref, channels, enabled, out)
}
