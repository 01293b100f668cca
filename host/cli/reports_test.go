package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// fakeStore returns fixed rows; methods the reports do not call panic
// through the nil embedded Store.
type fakeStore struct {
	store.Store
	replicas []store.Replica
	backlog  []store.Backlog
	queue    []store.QueueRow
	convs    []store.Conversation
	retried  []string
	closed   []string
	business []store.BusinessConnection
	offsets  map[string]int64
}

func (f *fakeStore) TelegramOffset(_ context.Context, bot string) (int64, error) {
	return f.offsets[bot], nil
}

func (f *fakeStore) BusinessConnections(context.Context) ([]store.BusinessConnection, error) {
	return f.business, nil
}

func (f *fakeStore) Replicas(context.Context, time.Duration) ([]store.Replica, error) {
	return f.replicas, nil
}
func (f *fakeStore) Backlog(context.Context) ([]store.Backlog, error) { return f.backlog, nil }
func (f *fakeStore) Queue(context.Context, int, ...store.State) ([]store.QueueRow, error) {
	return f.queue, nil
}
func (f *fakeStore) RetryNow(_ context.Context, kind string, id int64) error {
	f.retried = append(f.retried, kind+":"+strconv.FormatInt(id, 10))
	return nil
}
func (f *fakeStore) ListConversations(_ context.Context, flt store.ConversationFilter) ([]store.Conversation, error) {
	var out []store.Conversation
	for _, c := range f.convs {
		if flt.Number == 0 || c.Number == flt.Number {
			out = append(out, c)
		}
	}
	return out, nil
}
func (f *fakeStore) Conversation(_ context.Context, id string) (store.Conversation, error) {
	for _, c := range f.convs {
		if c.ID == id {
			return c, nil
		}
	}
	return store.Conversation{}, store.ErrNotFound
}
func (f *fakeStore) CloseConversation(_ context.Context, id string, _ store.Closing) (bool, error) {
	for _, c := range f.closed {
		if c == id {
			return false, nil
		}
	}
	f.closed = append(f.closed, id)
	return true, nil
}

// lines returns out's lines with runs of spaces folded, so the tests do not
// depend on tabwriter's padding.
func lines(out string) []string {
	var ls []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		ls = append(ls, strings.Join(strings.Fields(l), " "))
	}
	return ls
}

func TestStatus(t *testing.T) {
	cfg := &config.Config{
		Telegram: config.Telegram{Mode: config.ModeWebhook, WebhookPath: "/telegram/webhook"},
		Channels: []config.Channel{{Name: "slack", Enabled: true}, {Name: "hipchat", Enabled: false}},
	}
	cases := []struct {
		name string
		st   *fakeStore
		want []string
	}{
		{"replicas and backlog", &fakeStore{
			replicas: []store.Replica{
				{Owner: "a-1-ff", Hostname: "a", PID: 1, Version: "1.2.0", Leads: []string{"telegram-poller"}, StartedAt: now.Add(-time.Hour), SeenAt: now.Add(-3 * time.Second)},
				{Owner: "b-2-ee", Hostname: "b", PID: 2, Version: "1.2.0", StartedAt: now.Add(-time.Minute), SeenAt: now.Add(-time.Second)},
			},
			backlog: []store.Backlog{{Channel: "slack", Pending: 3, Failed: 1, OldestPending: now.Add(-90 * time.Second)}},
		}, []string{
			"BOT MODE INTAKE NEXT UPDATE",
			"default webhook webhook /telegram/webhook -",
			"",
			"REPLICA HOST PID VERSION ROLE UP LAST SEEN",
			"a-1-ff a 1 1.2.0 worker, telegram-poller 1h0m0s 3s ago",
			"b-2-ee b 2 1.2.0 worker 1m0s 1s ago",
			"",
			"CHANNEL PENDING FAILED OLDEST PENDING",
			"slack 3 1 1m30s",
			"telegram 0 0 -",
		}},
		{"business connections", &fakeStore{business: []store.BusinessConnection{
			{ID: "conn-a", UserID: 42, FirstName: "Sam", LastName: "Shop", Username: "samshop", Rights: []string{"can_reply", "can_read_messages"},
				Enabled: true, UpdatedAt: now.Add(-time.Minute)},
			{ID: "conn-b", UserID: 43, FirstName: "Ida", Rights: []string{"can_read_messages"}, Enabled: true, UpdatedAt: now.Add(-time.Hour)},
			{ID: "conn-c", UserID: 44, Username: "gone", Enabled: false, UpdatedAt: now.Add(-2 * time.Hour)},
		}}, []string{
			"BOT MODE INTAKE NEXT UPDATE",
			"default webhook webhook /telegram/webhook -",
			"",
			"REPLICA HOST PID VERSION ROLE UP LAST SEEN",
			"no replica is running (no heartbeat in the last 20s)",
			"",
			"CHANNEL PENDING FAILED OLDEST PENDING",
			"slack 0 0 -",
			"telegram 0 0 -",
			"",
			"BUSINESS ACCOUNT USER ID CONNECTION STATE RIGHTS CHANGED",
			"Sam Shop (@samshop) 42 conn-a enabled can_reply,can_read_messages 1m0s ago",
			"Ida 43 conn-b enabled, cannot reply can_read_messages 1h0m0s ago",
			"@gone 44 conn-c disabled - 2h0m0s ago",
		}},
		{"nothing running", &fakeStore{}, []string{
			"BOT MODE INTAKE NEXT UPDATE",
			"default webhook webhook /telegram/webhook -",
			"",
			"REPLICA HOST PID VERSION ROLE UP LAST SEEN",
			"no replica is running (no heartbeat in the last 20s)",
			"",
			"CHANNEL PENDING FAILED OLDEST PENDING",
			"slack 0 0 -",
			"telegram 0 0 -",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Status(context.Background(), c.st, cfg, 20*time.Second, now, &out); err != nil {
				t.Fatal(err)
			}
			if got := lines(out.String()); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestStatusBots lists every bot: the replica polling each, a polling bot
// nobody polls, and a webhook bot, with the next update id of each.
func TestStatusBots(t *testing.T) {
	cfg := &config.Config{BotTables: []config.Telegram{
		{Name: "support", Mode: config.ModePolling},
		{Name: "shop", Mode: config.ModePolling},
		{Name: "eu", Mode: config.ModeWebhook, WebhookPath: "/telegram/eu"},
	}}
	st := &fakeStore{
		replicas: []store.Replica{{Owner: "a-1-ff", Hostname: "a", PID: 1, Version: "1.2.0",
			Leads: []string{"telegram-poller:support"}, StartedAt: now.Add(-time.Hour), SeenAt: now}},
		offsets: map[string]int64{"support": 204518760, "eu": 12},
	}
	var out bytes.Buffer
	if err := Status(context.Background(), st, cfg, 20*time.Second, now, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BOT MODE INTAKE NEXT UPDATE",
		"support polling polled by a-1-ff 204518760",
		"shop polling not polled: no running replica holds telegram-poller:shop -",
		"eu webhook webhook /telegram/eu 12",
		"",
		"REPLICA HOST PID VERSION ROLE UP LAST SEEN",
		"a-1-ff a 1 1.2.0 worker, telegram-poller:support 1h0m0s 0s ago",
	}
	if got := lines(out.String()); strings.Join(got[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOutbox(t *testing.T) {
	st := &fakeStore{queue: []store.QueueRow{
		{ID: 42, Kind: "delivery", Channel: "slack", ConversationID: "c1", MessageID: "m1", State: store.StatePending, Attempts: 2,
			LastError: "desk said\n  503", NextAttemptAt: now.Add(30 * time.Second), CreatedAt: now.Add(-time.Minute)},
		{ID: 7, Kind: "reply", ConversationID: "c1", MessageID: "x9", State: store.StateFailed, Attempts: 5,
			LastError: strings.Repeat("é", 100), CreatedAt: now.Add(-time.Hour)},
	}}
	var out bytes.Buffer
	if err := Outbox(context.Background(), st, nil, false, now, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ID CHANNEL CONVERSATION MESSAGE STATE ATTEMPTS NEXT AGE LAST ERROR",
		"delivery:42 slack c1 m1 pending 2 30s 1m0s desk said 503",
		"reply:7 telegram c1 x9 failed 5 - 1h0m0s " + strings.Repeat("é", 79) + "…",
	}
	if got := lines(out.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	out.Reset()
	if err := Outbox(context.Background(), &fakeStore{}, nil, true, now, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "outbox is empty: everything was delivered") {
		t.Fatalf("empty outbox printed %q", out.String())
	}
}

func TestOutboxArgs(t *testing.T) {
	cases := []struct {
		args    []string
		wantErr string
		wantOut string
	}{
		{[]string{"list"}, "usage: parley outbox", ""},
		{[]string{"retry"}, "usage: parley outbox", ""},
		{[]string{"retry", "delivery:42"}, "", "delivery:42 is ready again"},
		{[]string{"retry", "order:1"}, `"order:1" is not KIND:ID`, ""},
		{[]string{"retry", "--channel", "slack", "reply:1"}, "usage: parley outbox", ""},
		{[]string{"retry", "--all"}, "this store cannot retry rows in bulk", ""},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			st := &fakeStore{}
			var out bytes.Buffer
			err := Outbox(context.Background(), st, c.args, false, now, &out)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				if len(st.retried) != 0 {
					t.Fatalf("retried %v after an error", st.retried)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), c.wantOut) {
				t.Fatalf("err = %v, out = %q; want %q", err, out.String(), c.wantOut)
			}
		})
	}
}

func TestConversations(t *testing.T) {
	st := &fakeStore{convs: []store.Conversation{
		{ID: "c2", Number: 2, Contact: sdk.Contact{TelegramUserID: 77}, State: sdk.StateClaimed, ClaimedBy: "Ana", PreviousNumber: 1, UpdatedAt: now.Add(-5 * time.Second)},
		{ID: "c1", Number: 1, Contact: sdk.Contact{TelegramUserID: 77}, State: sdk.StateClosed, ClosedBy: "an operator", CloseReason: sdk.CloseByOperator, UpdatedAt: now.Add(-time.Hour)},
	}}
	var out bytes.Buffer
	if err := Conversations(context.Background(), st, ConversationsFilter{}, now, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"NUMBER ID USER STATE BY LAST ACTIVE PREVIOUS",
		"#2 c2 77 claimed Ana 5s ago #1",
		"#1 c1 77 closed an operator (" + sdk.CloseByOperator + ") 1h0m0s ago -",
	}
	if got := lines(out.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := (ConversationsFilter{State: "pending"}).Check(); err == nil || !strings.Contains(err.Error(), "--state must be open, claimed or closed") {
		t.Fatalf("Check of an unknown state = %v", err)
	}
	out.Reset()
	if err := Conversations(context.Background(), &fakeStore{}, ConversationsFilter{State: "open"}, now, &out); err != nil || !strings.Contains(out.String(), "no conversations") {
		t.Fatalf("empty list: %v, %q", err, out.String())
	}
}

func TestCloseConversation(t *testing.T) {
	st := &fakeStore{convs: []store.Conversation{{ID: "c1", Number: 4}}}
	cases := []struct {
		ref, want, wantErr string
	}{
		{"#4", "closed conversation #4 (c1); the desks will be told", ""},
		{"c1", "conversation #4 (c1) was closed already; nothing changed", ""},
		{"9", "", "no conversation #9"},
		{"c9", "", `no conversation "c9"`},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := CloseConversation(context.Background(), st, c.ref, &out)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("%s: err = %v, want %q", c.ref, err, c.wantErr)
			}
			continue
		}
		if err != nil || strings.TrimSpace(out.String()) != c.want {
			t.Fatalf("%s: %v, %q; want %q", c.ref, err, out.String(), c.want)
		}
	}
}
