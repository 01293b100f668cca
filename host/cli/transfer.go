package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parley-dev/parley/host/store"
)

// Transfer moves a conversation (by id or number) to the channels named,
// which must be enabled ones: the new desks get its recent history, the
// desks it leaves a transfer notice (parley transfer).
func Transfer(ctx context.Context, st store.Store, ref string, channels, enabled []string, out io.Writer) error {
	if len(channels) == 0 {
		return fmt.Errorf("name at least one channel to transfer to")
	}
	for _, ch := range channels {
		if !slices.Contains(enabled, ch) {
			return fmt.Errorf("no enabled channel %q (enabled: %s)", ch, strings.Join(enabled, ", "))
		}
	}
	conv, err := findConversation(ctx, st, ref)
	if err != nil {
		return err
	}
	res, err := st.Transfer(ctx, store.Transfer{ConversationID: conv.ID, Channels: slices.Compact(channels), History: store.TransferHistory})
	if err != nil {
		return err
	}
	from := strings.Join(res.From, ", ")
	if from == "" {
		from = "no desk yet"
	}
	fmt.Fprintf(out, "transferred conversation #%d (%s) from %s to %s\n", conv.Number, conv.ID, from, strings.Join(res.To, ", "))
	return nil
}
