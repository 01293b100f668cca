package telegramgroupchannel_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/plugins/telegramgroup/internal/telegramgroupchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// testHost is the host as far as this channel goes: it knows the topics
// the channel delivered to, refuses others as the real host does, serves
// customer files and records replies and actions.
type testHost struct {
	mu      sync.Mutex
	known   map[string]bool
	files   map[string][]byte
	replies []sdk.Reply
	actions []sdk.Action
	// fail makes the next PostReply calls fail (a host restarting).
	fail int
}

func newTestHost() *testHost { return &testHost{known: map[string]bool{}, files: map[string][]byte{}} }

func (h *testHost) know(ref []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.known[string(ref)] = true
}

func (h *testHost) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail > 0 {
		h.fail--
		return sdk.PostReplyResult{}, errors.New("host unavailable")
	}
	if !h.known[string(r.ThreadRef)] {
		return sdk.PostReplyResult{}, sdk.Permanent(errors.New("unknown conversation"))
	}
	for _, old := range h.replies {
		if old.ExternalID == r.ExternalID {
			return sdk.PostReplyResult{Duplicate: true}, nil
		}
	}
	h.replies = append(h.replies, r)
	return sdk.PostReplyResult{}, nil
}

func (h *testHost) PostAction(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.known[string(a.ThreadRef)] {
		return sdk.ActionResult{}, sdk.Permanent(errors.New("unknown conversation"))
	}
	h.actions = append(h.actions, a)
	return sdk.ActionResult{Changed: true}, nil
}

func (h *testHost) OpenFile(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.files[ref]
	if !ok {
		return nil, sdk.FileInfo{}, sdk.Permanent(errors.New("no such file"))
	}
	return io.NopCloser(strings.NewReader(string(b))), sdk.FileInfo{Size: int64(len(b))}, nil
}

func (h *testHost) Replies() []sdk.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Reply(nil), h.replies...)
}

func (h *testHost) Actions() []sdk.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Action(nil), h.actions...)
}

// env is a configured channel with the fake Telegram, its staff bot, a
// forum supergroup and an agent.
type env struct {
	tg    *telegramtest.Server
	staff *telegramtest.Bot
	group telego.Chat
	agent telego.User
	ch    *telegramgroupchannel.Channel
	host  *testHost
}

type envOptions struct {
	fake   telegramtest.Options
	rights *telegramtest.AdminRights
	forum  *bool
	// now is the clock of the fake and the channel (time.Now when nil).
	now func() time.Time
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	o.fake.MaxPollTimeout = time.Second
	o.fake.Now = o.now
	tg := telegramtest.New(o.fake)
	if err := tg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	staff := tg.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Staff", Username: "staff_bot"}})
	agent := tg.RegisterUser(telego.User{FirstName: "Grace", LastName: "Hopper", Username: "grace"})
	rights := telegramtest.AdminRights{CanManageTopics: true}
	if o.rights != nil {
		rights = *o.rights
	}
	forum := o.forum == nil || *o.forum
	group := tg.AddSupergroup(telegramtest.SupergroupOptions{Title: "Support", Forum: forum, Owner: agent.ID,
		Admins: map[int64]telegramtest.AdminRights{staff.User().ID: rights}})
	e := &env{tg: tg, staff: staff, group: group, agent: agent, host: newTestHost(),
		ch: telegramgroupchannel.New(telegramgroupchannel.Options{Version: "test", Now: o.now})}
	t.Cleanup(e.ch.Close)
	return e
}

func (e *env) config(extra map[string]any) map[string]any {
	c := map[string]any{"bot_token": e.staff.Token(), "group_id": e.group.ID, "api_url": e.tg.URL()}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func (e *env) configure(t *testing.T, extra map[string]any) sdk.ConfigureResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := e.ch.Configure(ctx, sdk.ConfigureRequest{ChannelName: "staff", Config: mustJSON(t, e.config(extra)),
		Host: e.host, HookBaseURL: "http://127.0.0.1:1/hooks/staff"})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return resp
}

// deliver delivers m in the sample conversation (number 42, Ada).
func (e *env) deliver(t *testing.T, m sdk.Message, ref []byte) (sdk.DeliverResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	return e.ch.Deliver(ctx, sdk.DeliverRequest{Conversation: conv(), Contact: ada(), Message: m, ThreadRef: ref})
}

func conv() sdk.Conversation {
	return sdk.Conversation{ID: "c42", Number: 42, TelegramChatID: 4242, StartPayload: "ref_spring", State: sdk.StateOpen, Bot: "shop"}
}

func ada() sdk.Contact {
	return sdk.Contact{TelegramUserID: 4242, FirstName: "Ada", LastName: "Lovelace", Username: "ada_l", LanguageCode: "en"}
}

// topicMessages are the staff bot's messages in a topic, oldest first.
func (e *env) topicMessages(topic int) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range e.staff.SentTo(e.group.ID) {
		if s.MessageThreadID == topic {
			out = append(out, s)
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitReplies(t *testing.T, h *testHost, n int) []sdk.Reply {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if rs := h.Replies(); len(rs) >= n {
			return rs
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("host got %d replies, want %d: %+v", len(h.Replies()), n, h.Replies())
	return nil
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

func mustDeliver(t *testing.T, e *env, m sdk.Message, ref []byte) []byte {
	t.Helper()
	resp, err := e.deliver(t, m, ref)
	return plugintest.AssertDelivered(t, resp, err)
}

// clock is a settable clock shared by the fake and the channel.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
