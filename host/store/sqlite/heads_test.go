package sqlite

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// TestDeliveryHeadsFollowTheLanes drives the outbox through every kind of
// change (new messages, claims, completions, retries, failures, operator
// retries of failed rows) and checks after each step that delivery_heads,
// which the claim walks, names exactly the oldest pending row of every
// lane.
func TestDeliveryHeadsFollowTheLanes(t *testing.T) {
	ctx := t.Context()
	s := openTemp(t, filepath.Join(t.TempDir(), "heads.db"))
	rng := rand.New(rand.NewPCG(1, 2))
	channels := []string{"slack", "helpscout"}
	now := time.Now()
	var failed []int64
	update, msg := int64(0), 0
	for step := range 400 {
		switch op := rng.IntN(10); {
		case op < 4:
			update++
			msgs := make([]sdk.Message, 1+rng.IntN(3))
			for i := range msgs {
				msg++
				msgs[i] = sdk.Message{ID: fmt.Sprintf("m%d", msg), Kind: sdk.KindText, Text: "hi"}
			}
			_, err := s.CommitInbound(ctx, store.Inbound{UpdateID: update, ChatID: 1 + rng.Int64N(5), Messages: msgs, Channels: channels, Time: now})
			if err != nil {
				t.Fatal(err)
			}
		case op < 9:
			ds, err := s.ClaimDeliveries(ctx, store.ClaimOptions{Owner: "w", Limit: 1 + rng.IntN(4), Lease: time.Minute, Now: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				switch rng.IntN(4) {
				case 0:
					err = s.RetryDelivery(ctx, d.ID, "w", now, "try again")
				case 1:
					err = s.FailDelivery(ctx, d.ID, "w", "gone")
					failed = append(failed, d.ID)
				default:
					err = s.CompleteDelivery(ctx, d.ID, "w", nil, "desk")
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		default:
			if len(failed) == 0 {
				continue
			}
			i := rng.IntN(len(failed))
			if err := s.RetryNow(ctx, "delivery", failed[i]); err != nil {
				t.Fatal(err)
			}
			failed = append(failed[:i], failed[i+1:]...)
		}
		checkHeads(t, s, step)
	}
}

func checkHeads(t *testing.T, s *Store, step int) {
	t.Helper()
	rows, err := s.read.Query(`SELECT conversation_id || '/' || channel, MIN(id) FROM deliveries
		WHERE state = 'pending' GROUP BY conversation_id, channel
		EXCEPT SELECT conversation_id || '/' || channel, delivery_id FROM delivery_heads`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var lane string
		var id int64
		if err := rows.Scan(&lane, &id); err != nil {
			t.Fatal(err)
		}
		t.Errorf("step %d: lane %s heads at delivery %d, delivery_heads disagrees", step, lane, id)
	}
	var extra int
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM delivery_heads h
		WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = h.delivery_id AND d.state = 'pending')`).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if extra > 0 {
		t.Fatalf("step %d: %d delivery_heads rows name no pending delivery", step, extra)
	}
}
