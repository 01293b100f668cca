package postgres

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// A batch commits as its updates would one after another. Random batches
// (repeated and already committed update ids, ignored updates, new and
// known chats, contacts with and without a sender, /start payloads,
// messages stored before, edits, answers, times finer than a microsecond)
// go to one store through CommitInbounds and to another update by update:
// the results and what is stored must be the same.
func TestBatchIntakeMatchesOneByOne(t *testing.T) {
	db := newDatabase(t)
	batched := open(t, newSchema(t, db), Options{})
	single := open(t, newSchema(t, db), Options{})
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2025, 3, 4, 5, 6, 7, 891234567, time.UTC)
	msg := 0
	for round := range 60 {
		var ins []store.Inbound
		for range 1 + rng.IntN(8) {
			in := store.Inbound{UpdateID: 1 + rng.Int64N(80),
				Time: base.Add(time.Duration(rng.IntN(1e9)) * time.Nanosecond * 7)}
			if rng.IntN(6) > 0 {
				in.ChatID = 1 + rng.Int64N(6)
			}
			switch rng.IntN(4) {
			case 0: // no sender
			case 1:
				in.Contact = sdk.Contact{TelegramUserID: in.ChatID, FirstName: "Ann", Username: fmt.Sprint("ann", rng.IntN(3))}
			case 2:
				in.Contact = sdk.Contact{TelegramUserID: in.ChatID, FirstName: "Bo\x00b", LastName: "\xff"}
			default:
				in.Contact = sdk.Contact{TelegramUserID: in.ChatID, LanguageCode: "de", PhotoURL: "https://example.com/p"}
			}
			if rng.IntN(4) == 0 {
				p := fmt.Sprint("promo-", rng.IntN(3))
				if rng.IntN(3) == 0 {
					p = ""
				}
				in.StartPayload = &p
			}
			for range rng.IntN(3) {
				var m sdk.Message
				if msg > 0 && rng.IntN(5) == 0 {
					m = sdk.Message{ID: fmt.Sprint("m", 1+rng.IntN(msg)), Kind: sdk.KindText, Text: "again"}
				} else {
					msg++
					m = sdk.Message{ID: fmt.Sprint("m", msg), Kind: sdk.KindText, Text: fmt.Sprint("text ", msg)}
				}
				if msg > 1 && rng.IntN(4) == 0 {
					m.EditOf = fmt.Sprint("m", 1+rng.IntN(msg-1))
				}
				in.Messages = append(in.Messages, m)
			}
			in.Channels = []string{"slack", "helpscout"}[:1+rng.IntN(2)]
			if rng.IntN(5) == 0 {
				in.Answer = &sdk.Reply{ExternalID: fmt.Sprint("welcome-", round, "-", in.UpdateID), Text: "Hello"}
			}
			ins = append(ins, in)
		}
		got, err := batched.CommitInbounds(ctx, ins)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, in := range ins {
			want, err := single.CommitInbound(ctx, in)
			if err != nil {
				t.Fatalf("round %d, update %d: %v", round, in.UpdateID, err)
			}
			if g, w := describeResult(got[i]), describeResult(want); g != w {
				t.Errorf("round %d, update %d (%d of the batch):\n batch:    %s\n one by one: %s", round, in.UpdateID, i, g, w)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	for _, q := range []string{
		`SELECT chat_id || ' #' || number || ' ' || telegram_user_id || ' ' || first_name || '|' || last_name || '|' || username || '|' ||
			language_code || '|' || photo_url || '|' || start_payload || ' ' || blocked || ' ' || started_at || ' ' || updated_at
			FROM conversations ORDER BY chat_id`,
		`SELECT c.chat_id || ' ' || d.channel || ' ' || d.message_id || ' ' || COALESCE(d.edit_of, '-') || ' ' || d.state || ' ' || d.created_at
			FROM deliveries d JOIN conversations c ON c.id = d.conversation_id ORDER BY d.id`,
		`SELECT c.chat_id || ' ' || m.id || ' ' || m.payload::text || ' ' || m.created_at
			FROM messages m JOIN conversations c ON c.id = m.conversation_id ORDER BY m.id`,
		`SELECT c.chat_id || ' ' || r.external_id || ' ' || (r.payload->>'text') || ' ' || r.created_at FROM replies r JOIN conversations c ON c.id = r.conversation_id ORDER BY r.id`,
		`SELECT c.chat_id || ' ' || h.channel || ' ' || COALESCE(d.message_id, '-')
			FROM delivery_heads h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN deliveries d ON d.id = h.head_id
			ORDER BY c.chat_id, h.channel`,
		`SELECT update_id::text FROM processed_updates ORDER BY update_id`,
	} {
		g, w := queryStrings(t, batched, q), queryStrings(t, single, q)
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("stored after batches:\n%q\nafter one by one:\n%q\n(%s)", g, w, q)
		}
	}
	checkHeads(t, batched, "after the batches")
}

// describeResult is a commit result without the conversation's random id.
func describeResult(r store.CommitResult) string {
	c := r.Conversation
	c.ID = ""
	if r.Conversation.ID == "" {
		c.ID = "none"
	}
	return fmt.Sprintf("duplicate=%t created=%t %+v", r.Duplicate, r.Created, c)
}

// Replicas committing batches at once (as in webhook mode, or a poller
// handing over) that share chats, new and known, neither deadlock nor
// number a conversation twice: numbers stay gapless, and every message is
// queued once.
func TestConcurrentBatchesShareChats(t *testing.T) {
	db := newDatabase(t)
	stores := []*Store{open(t, db, Options{}), open(t, db, Options{}), open(t, db, Options{})}
	ctx := t.Context()
	const batches = 30
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*batches)
	for r, s := range stores {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			for b := range batches {
				var ins []store.Inbound
				for k := range 1 + rng.IntN(6) {
					id := int64(r*100000 + b*100 + k)
					chat := 1 + rng.Int64N(40)
					ins = append(ins, store.Inbound{UpdateID: id, ChatID: chat, Contact: sdk.Contact{TelegramUserID: chat, FirstName: "x"},
						Messages: []sdk.Message{{ID: fmt.Sprint("m", id), Kind: sdk.KindText, Text: "hi"}}, Channels: []string{"slack"}})
				}
				if _, err := s.CommitInbounds(ctx, ins); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var convs, maxNumber, distinct, messages, deliveries int64
	if err := stores[0].pool.QueryRow(ctx, `SELECT COUNT(*), MAX(number), COUNT(DISTINCT number),
		(SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM deliveries) FROM conversations`).
		Scan(&convs, &maxNumber, &distinct, &messages, &deliveries); err != nil {
		t.Fatal(err)
	}
	if convs != maxNumber || distinct != convs || messages != deliveries {
		t.Errorf("%d conversations numbered up to %d (%d distinct); %d messages, %d deliveries", convs, maxNumber, distinct, messages, deliveries)
	}
	checkHeads(t, stores[0], "after the batches")
}
