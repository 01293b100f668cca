package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// BenchmarkMessagePath measures the store's share of the message path as
// make bench drives it: one op is a getUpdates batch of 100 text messages
// over `chats` conversations committed in one transaction, then the
// outbox drained by claims of runs and grouped completions.
func BenchmarkMessagePath(b *testing.B) {
	for _, chats := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("chats=%d", chats), func(b *testing.B) {
			s := openTemp(b, filepath.Join(b.TempDir(), "bench.db"))
			ctx := context.Background()
			var update int64
			const batch = 100
			start := time.Now()
			for b.Loop() {
				ins := make([]store.Inbound, batch)
				for i := range ins {
					update++
					chat := update%int64(chats) + 1
					ins[i] = store.Inbound{UpdateID: update, ChatID: chat,
						Contact:  sdk.Contact{TelegramUserID: chat, FirstName: "Ann", Username: "ann"},
						Messages: []sdk.Message{{ID: fmt.Sprintf("m%d", update), Kind: sdk.KindText, Text: "hello there", Time: start}},
						Channels: []string{"slack"}, Time: start.Add(time.Duration(update) * time.Millisecond)}
				}
				if _, err := s.CommitInbounds(ctx, ins); err != nil {
					b.Fatal(err)
				}
				for {
					ds, err := s.ClaimDeliveryRuns(ctx, store.ClaimOptions{Owner: "bench", Limit: 64, Lease: time.Minute}, 32)
					if err != nil {
						b.Fatal(err)
					}
					if len(ds) == 0 {
						break
					}
					cs := make([]store.Completion, len(ds))
					for i, d := range ds {
						cs[i] = store.Completion{ID: d.ID, ThreadRef: []byte("T"), DeskMessageID: "D"}
					}
					if errs, err := s.CompleteDeliveries(ctx, "bench", cs); err != nil {
						b.Fatal(err)
					} else {
						for _, e := range errs {
							if e != nil {
								b.Fatal(e)
							}
						}
					}
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
