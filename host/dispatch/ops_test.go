package dispatch_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

// opsTelegram sends replies as message 900 (the reply "lost" fails for
// good), sets reactions (failing the first attempt of each with a
// transient error, refusing 🦆 for good) and deletes messages.
type opsTelegram struct {
	mu        sync.Mutex
	tried     map[string]bool
	reactions []string // "<message>:<emoji>" set
	deleted   []int64
}

func (o *opsTelegram) SendReply(_ context.Context, _ int64, r sdk.Reply, _ dispatch.OpenAttachment, _ []int64) (dispatch.SendResult, error) {
	if r.ExternalID == "lost" {
		return dispatch.SendResult{}, sdk.Permanent(errors.New("400 Bad Request: message is too long"))
	}
	return dispatch.SendResult{MessageIDs: []int64{900}}, nil
}

func (o *opsTelegram) EditReply(context.Context, int64, int64, sdk.Reply) error { return nil }

func (o *opsTelegram) SetReaction(_ context.Context, _, msg int64, emoji string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if emoji == "🦆" {
		return sdk.Permanent(errors.New("400 Bad Request: REACTION_INVALID"))
	}
	if o.tried == nil {
		o.tried = map[string]bool{}
	}
	if !o.tried[emoji] {
		o.tried[emoji] = true
		return errors.New("502 Bad Gateway")
	}
	o.reactions = append(o.reactions, string(rune('0'+msg%10))+":"+emoji)
	return nil
}

func (o *opsTelegram) DeleteMessages(_ context.Context, _ int64, ids []int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deleted = append(o.deleted, ids...)
	return nil
}

// Queued reactions and deletes reach Telegram in the lane's order, a
// transient failure is retried, a refusal is not and tells the acting
// desk (reaction_failed, delete_failed for a reply that never reached
// Telegram), and the other desks hear nothing of it.
func TestTelegramOperations(t *testing.T) {
	s := openStore(t)
	_, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: 1, ChatID: 1, Channels: []string{"desk", "other"},
		Messages: []sdk.Message{{ID: "m1", Kind: sdk.KindText, Text: "hi", TelegramMessageID: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := s.ConversationByChat(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	notices := map[string][]sdk.Notice{}
	record := func(name string) desk {
		return desk{deliver: func(_ context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
			if n := req.Message.Notice; n != nil {
				mu.Lock()
				notices[name] = append(notices[name], *n)
				mu.Unlock()
			}
			return sdk.DeliverResponse{ThreadRef: []byte("T"), DeskMessageID: "D-" + req.Message.ID}, nil
		}}
	}
	tg := &opsTelegram{}
	d := dispatch.New(dispatch.Config{Store: s, Channels: channels{"desk": record("desk"), "other": record("other")}, Telegram: tg,
		Options: dispatch.Options{Concurrency: 2, PollInterval: 5 * time.Millisecond,
			Backoff: dispatch.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitDone(t, s)

	if _, err := s.CommitReplies(t.Context(), "desk", []sdk.Reply{{ConversationID: conv.ID, ExternalID: "r1", Text: "hello"},
		{ConversationID: conv.ID, ExternalID: "lost", Text: "never"}}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []sdk.Action{
		{Kind: sdk.ActionReact, ExternalID: "a1", MessageID: "m1", Emoji: "👍"},
		{Kind: sdk.ActionReact, ExternalID: "a2", DeskMessageID: "D-m1", Emoji: "🦆"},
		{Kind: sdk.ActionDelete, ExternalID: "a3", ReplyExternalID: "r1"},
		{Kind: sdk.ActionDelete, ExternalID: "a4", ReplyExternalID: "lost"},
	} {
		a.ConversationID = conv.ID
		if _, err := s.QueueTelegramAction(t.Context(), "desk", a); err != nil {
			t.Fatalf("%s: %v", a.ExternalID, err)
		}
	}
	d.Notify()
	testwait.For(t, "every operation is done or failed", func() bool {
		rows, err := s.Queue(t.Context(), 100, store.StatePending)
		return err == nil && len(rows) == 0
	})
	testwait.For(t, "the notices reach the desk", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(notices["desk"]) >= 3
	})
	tg.mu.Lock()
	if !slices.Equal(tg.reactions, []string{"7:👍"}) || !slices.Equal(tg.deleted, []int64{900}) {
		t.Errorf("reactions %v, deleted %v: want 👍 on message 7 after a retry, and r1's message deleted", tg.reactions, tg.deleted)
	}
	tg.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	var codes []string
	for _, n := range notices["desk"] {
		codes = append(codes, string(n.Code))
		switch n.Code {
		case sdk.NoticeReactionFailed:
			if n.Emoji != "🦆" || n.ActionExternalID != "a2" || n.SourceChannel != "desk" {
				t.Errorf("reaction_failed %+v", n)
			}
		case sdk.NoticeDeleteFailed:
			if n.ReplyExternalID != "lost" || n.ActionExternalID != "a4" {
				t.Errorf("delete_failed %+v", n)
			}
		}
	}
	slices.Sort(codes)
	if !slices.Equal(codes, []string{"delete_failed", "reaction_failed", "reply_failed"}) {
		t.Errorf("desk notices %v", codes)
	}
	if len(notices["other"]) != 0 {
		t.Errorf("the other desk was told %+v, want nothing", notices["other"])
	}
}
