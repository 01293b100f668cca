package inbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/router"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/sdk"
)

// fakeStore records what the handler commits; other methods panic through
// the nil embedded Store.
type fakeStore struct {
	store.Store
	commits   []store.Inbound
	result    func(store.Inbound) store.CommitResult
	unblocked []string
	fail      error
}

func (f *fakeStore) CommitInbound(_ context.Context, in store.Inbound) (store.CommitResult, error) {
	if f.fail != nil {
		return store.CommitResult{}, f.fail
	}
	f.commits = append(f.commits, in)
	if f.result != nil {
		return f.result(in), nil
	}
	return store.CommitResult{Conversation: store.Conversation{ID: "c1"}}, nil
}

func (f *fakeStore) SetBlocked(_ context.Context, id string, blocked bool) error {
	if !blocked {
		f.unblocked = append(f.unblocked, id)
	}
	return nil
}

type counts map[string]int

func (c counts) UpdateReceived(kind string) { c[kind]++ }

type closes []string

func (c *closes) Closed(reason string, _ time.Duration) { *c = append(*c, reason) }
func (c *closes) Rated(int)                             {}

// update builds an intake.Update from Telegram's JSON.
func update(t *testing.T, id int64, body string) intake.Update {
	t.Helper()
	raw := json.RawMessage(fmt.Sprintf(`{"update_id":%d,%s}`, id, body))
	var u telego.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatal(err)
	}
	return intake.Update{ID: id, Raw: raw, Update: &u}
}

func private(text string) string {
	return fmt.Sprintf(`"message":{"message_id":5,"date":1764849600,"chat":{"id":77,"type":"private"},"from":{"id":77,"is_bot":false,"first_name":"Ana"},"text":%q}`, text)
}

func newHandler(st *fakeStore, welcome string) (*Handler, counts, *int) {
	obs := counts{}
	notified := 0
	return &Handler{
		Store: st, Router: router.New([]string{"slack", "helpscout"}), Welcome: welcome,
		Policy: store.IntakePolicy{}, Opts: normalize.Options{BotUsername: "parley_bot", BotID: 1},
		Notify: func() { notified++ }, Log: hclog.NewNullLogger(), Observer: obs,
	}, obs, &notified
}

// TestWhatAnUpdateBecomes covers the intake rules: what each kind of update
// is committed as.
func TestWhatAnUpdateBecomes(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		welcome string
		kind    string
		check   func(t *testing.T, in store.Inbound)
	}{
		{"a customer's text", private("hello"), "", "text", func(t *testing.T, in store.Inbound) {
			if in.ChatID != 77 || len(in.Messages) != 1 || in.Messages[0].Text != "hello" || in.CloseCurrent || in.Answer != nil {
				t.Fatalf("committed %+v", in)
			}
			if strings.Join(in.Channels, ",") != "slack,helpscout" {
				t.Fatalf("channels %v, want every routed channel", in.Channels)
			}
		}},
		{"/start with a welcome", private("/start"), "Hi! Ask us anything.", "start", func(t *testing.T, in store.Inbound) {
			if in.StartPayload == nil || *in.StartPayload != "" {
				t.Fatalf("start payload %v", in.StartPayload)
			}
			if a := in.Answer; a == nil || a.ExternalID != "welcome:10" || a.Text != "Hi! Ask us anything." || a.Format != sdk.FormatPlain {
				t.Fatalf("answer %+v, want the welcome message keyed by the update", in.Answer)
			}
		}},
		{"/start with a deep link and no welcome", private("/start promo42"), "", "start", func(t *testing.T, in store.Inbound) {
			if in.StartPayload == nil || *in.StartPayload != "promo42" || in.Answer != nil {
				t.Fatalf("committed payload %v answer %+v", in.StartPayload, in.Answer)
			}
		}},
		{"/new closes the current conversation", private("/new"), "", "new", func(t *testing.T, in store.Inbound) {
			if !in.CloseCurrent || in.ChatID != 77 {
				t.Fatalf("committed %+v, want CloseCurrent", in)
			}
		}},
		{"/start for another bot is text", private("/start@OtherBot"), "Hi", "text", func(t *testing.T, in store.Inbound) {
			if in.StartPayload != nil || in.Answer != nil || len(in.Messages) != 1 {
				t.Fatalf("committed %+v", in)
			}
		}},
		{"a group message is committed without a chat", `"message":{"message_id":5,"date":1764849600,"chat":{"id":-100,"type":"group"},"from":{"id":77,"is_bot":false,"first_name":"Ana"},"text":"hi"}`, "", "ignored", func(t *testing.T, in store.Inbound) {
			if in.ChatID != 0 || len(in.Messages) != 0 {
				t.Fatalf("committed %+v, want only the update id", in)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := &fakeStore{}
			h, obs, notified := newHandler(st, c.welcome)
			if err := h.Handle(context.Background(), []intake.Update{update(t, 10, c.body)}); err != nil {
				t.Fatal(err)
			}
			if len(st.commits) != 1 || st.commits[0].UpdateID != 10 {
				t.Fatalf("commits %+v, want update 10 once", st.commits)
			}
			c.check(t, st.commits[0])
			if obs[c.kind] != 1 {
				t.Fatalf("counted %v, want kind %q", obs, c.kind)
			}
			if *notified != 1 {
				t.Fatalf("dispatcher woken %d times, want once", *notified)
			}
		})
	}
}

func TestUndecodableUpdateIsCommitted(t *testing.T) {
	st := &fakeStore{}
	h, _, _ := newHandler(st, "")
	u := intake.Update{ID: 11, Raw: json.RawMessage(`{"update_id":11,"weird":{}}`), DecodeErr: errors.New("unknown variant")}
	if err := h.Handle(context.Background(), []intake.Update{u}); err != nil {
		t.Fatal(err)
	}
	if len(st.commits) != 1 || st.commits[0].UpdateID != 11 {
		t.Fatalf("commits %+v, want update 11 so the offset moves past it", st.commits)
	}
}

// TestAfterCommit covers what follows a commit: unblocking, counting a
// /new close, and nothing at all for a duplicate.
func TestAfterCommit(t *testing.T) {
	cases := []struct {
		name      string
		result    store.CommitResult
		unblocked []string
		closed    []string
		notified  int
	}{
		{"a blocked customer writes again", store.CommitResult{Conversation: store.Conversation{ID: "c1", Blocked: true}}, []string{"c1"}, nil, 1},
		{"a customer who never blocked", store.CommitResult{Conversation: store.Conversation{ID: "c1"}}, nil, nil, 1},
		{"a duplicate changes nothing", store.CommitResult{Duplicate: true, Conversation: store.Conversation{ID: "c1", Blocked: true}}, nil, nil, 0},
		{"/new closed a conversation", store.CommitResult{Conversation: store.Conversation{ID: "c2"},
			Closed: &store.Conversation{ID: "c1", CloseReason: sdk.CloseByCustomer}}, nil, []string{sdk.CloseByCustomer}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := &fakeStore{result: func(store.Inbound) store.CommitResult { return c.result }}
			h, _, notified := newHandler(st, "")
			var cl closes
			h.Lifecycle = &cl
			if err := h.Handle(context.Background(), []intake.Update{update(t, 12, private("hi"))}); err != nil {
				t.Fatal(err)
			}
			if strings.Join(st.unblocked, ",") != strings.Join(c.unblocked, ",") {
				t.Fatalf("unblocked %v, want %v", st.unblocked, c.unblocked)
			}
			if strings.Join(cl, ",") != strings.Join(c.closed, ",") {
				t.Fatalf("closes counted %v, want %v", cl, c.closed)
			}
			if *notified != c.notified {
				t.Fatalf("dispatcher woken %d times, want %d", *notified, c.notified)
			}
		})
	}
}

func TestFailedCommitIsReported(t *testing.T) {
	st := &fakeStore{fail: errors.New("database is locked")}
	h, obs, notified := newHandler(st, "")
	err := h.Handle(context.Background(), []intake.Update{update(t, 13, private("hi"))})
	if err == nil || !strings.Contains(err.Error(), "update 13") {
		t.Fatalf("err = %v, want the update named so the batch is not confirmed", err)
	}
	if len(obs) != 0 || *notified != 0 {
		t.Fatalf("counted %v, woke %d after a failed commit", obs, *notified)
	}
}
