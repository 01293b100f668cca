package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
)

const hcWebhookSecret = "hc-webhook-secret-e2e-0123"

// newHipChatEnv runs parley with one HipChat channel ("hipchat") against a
// fresh fake; the plugin registers its room_message webhook at start.
func newHipChatEnv(t *testing.T) (*env, *hipchatfake.Server) {
	t.Helper()
	fake, err := hipchatfake.New(hipchatfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	e := newEnvWith(t, envOptions{
		Channels: fmt.Sprintf(`[channels.hipchat]
plugin = "hipchat"
[channels.hipchat.config]
server_url = %q
room = "%d"
token = "${E2E_HIPCHAT_TOKEN}"
webhook_secret = "${E2E_HIPCHAT_WEBHOOK_SECRET}"
register_webhook = true
`, fake.URL(), fake.RoomID()),
		Env: map[string]string{
			"E2E_HIPCHAT_TOKEN":          fake.Token(),
			"E2E_HIPCHAT_WEBHOOK_SECRET": hcWebhookSecret,
		},
	})
	return e, fake
}

var handleRE = regexp.MustCompile(`^<b>#(\d+)</b> `)

// customerNotifications returns the room's notifications that show a
// customer message, by handle number.
func customerNotifications(fake *hipchatfake.Server) map[int64]hipchatfake.HistoryItem {
	out := map[int64]hipchatfake.HistoryItem{}
	for _, n := range fake.Notifications(fake.RoomID()) {
		if m := handleRE.FindStringSubmatch(n.Message); m != nil {
			num, _ := strconv.ParseInt(m[1], 10, 64)
			out[num] = n
		}
	}
	return out
}

// Two Telegram users talking at once get distinct handles in the room; an
// agent's "#N text" reaches that user only; a message without a usable
// handle gets the syntax back in the room; forged webhooks are refused.
func TestHipChatHandles(t *testing.T) {
	e, fake := newHipChatEnv(t)
	e.start()
	room := fake.RoomID()
	if !waitUntil(30*time.Second, func() bool { return len(fake.Webhooks(room)) == 1 }) {
		t.Fatalf("the plugin registered %d webhooks, want 1\n%s", len(fake.Webhooks(room)), e.Logs())
	}
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee"})
	bo := e.tg.AddUser(telego.User{FirstName: "Bo", Username: "bo_k"})
	e.tg.SendText(ann.ID, "My order is late & nobody answers")
	e.tg.SendText(bo.ID, "Where is my refund?")

	var byHandle map[int64]hipchatfake.HistoryItem
	if !waitUntil(30*time.Second, func() bool { byHandle = customerNotifications(fake); return len(byHandle) == 2 }) {
		t.Fatalf("room has %d customer notifications, want 2: %+v\n%s", len(byHandle), fake.Notifications(room), e.Logs())
	}
	handles := map[string]int64{} // who → handle number
	for num, n := range byHandle {
		switch {
		case strings.Contains(n.Message, "Ann Lee") && strings.Contains(n.Message, "My order is late &amp; nobody answers"):
			handles["ann"] = num
			if n.From != "Ann Lee" {
				t.Errorf("Ann's notification is from %q", n.From)
			}
		case strings.Contains(n.Message, "@bo_k") && strings.Contains(n.Message, "Where is my refund?"):
			handles["bo"] = num
		default:
			t.Errorf("unexpected notification #%d: %q", num, n.Message)
		}
	}
	if len(handles) != 2 || handles["ann"] == handles["bo"] {
		t.Fatalf("handles %v, want two distinct", handles)
	}

	say := agentSays(t, fake)

	// The agent answers Ann by her handle; Bo hears nothing.
	say(fmt.Sprintf("#%d Your parcel ships today\nTracking: AB123", handles["ann"]))
	if got := waitSentTo(t, e, ann.ID, 1); got[0].Message.Text != "Your parcel ships today\nTracking: AB123" {
		t.Errorf("Ann got %q", got[0].Message.Text)
	}
	// And Bo by his.
	say(fmt.Sprintf("#%d Refund sent", handles["bo"]))
	if got := waitSentTo(t, e, bo.ID, 1); got[0].Message.Text != "Refund sent" {
		t.Errorf("Bo got %q", got[0].Message.Text)
	}

	// Without a usable handle the room gets the syntax; room chatter is
	// not even delivered.
	for _, text := range []string{"#abc where does this go?", fmt.Sprintf("#%d", handles["ann"])} {
		expectHelp(t, e, fake, say, text, "gray")
	}
	if ds := say("lunch anyone?"); len(ds) != 0 {
		t.Errorf("room chatter was delivered to parley: %+v", ds)
	}

	// Forged webhooks: a valid payload at a wrong or missing secret.
	body, err := fake.RoomMessagePayload(room, hipchatfake.Message{Text: fmt.Sprintf("#%d forged: send your password", handles["ann"])})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/hooks/hipchat/not-the-secret", "/hooks/hipchat", "/hooks/hipchat/" + hcWebhookSecret + "x"} {
		resp, err := http.Post(e.public+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s answered %d, want 401", path, resp.StatusCode)
		}
	}

	// Sentinels: an agent's next message to each reaches them after anything
	// that leaked.
	say(fmt.Sprintf("#%d sentinel for Ann", handles["ann"]))
	waitLastSent(t, e, ann.ID, "sentinel for Ann")
	say(fmt.Sprintf("#%d sentinel for Bo", handles["bo"]))
	waitLastSent(t, e, bo.ID, "sentinel for Bo")
	if n := len(e.tg.SentTo(ann.ID)); n != 2 {
		t.Errorf("Ann got %d messages, want 2 (reply, sentinel): a help, unknown-handle or forged message reached her", n)
	}
	if n := len(e.tg.SentTo(bo.ID)); n != 2 {
		t.Errorf("Bo got %d messages, want 2 (reply, sentinel)", n)
	}
	assertNoSecrets(t, e, fake.Token(), hcWebhookSecret)
}

// agentSays returns a function that types text into the room as the agent
// and returns the webhook deliveries it caused, each checked for a 2xx.
func agentSays(t *testing.T, fake *hipchatfake.Server) func(text string) []hipchatfake.Delivery {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return func(text string) []hipchatfake.Delivery {
		t.Helper()
		_, ds, err := fake.SendRoomMessage(ctx, fake.RoomID(), hipchatfake.Message{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d.Status/100 != 2 {
				t.Errorf("%q: webhook answered %d %s (%s)", text, d.Status, d.Response, d.Err)
			}
		}
		return ds
	}
}

// expectHelp says text in the room and expects one webhook delivery
// answered with one syntax help notification of color.
func expectHelp(t *testing.T, e *env, fake *hipchatfake.Server, say func(string) []hipchatfake.Delivery, text, color string) {
	t.Helper()
	before := len(fake.Notifications(fake.RoomID()))
	if ds := say(text); len(ds) != 1 {
		t.Fatalf("%q: %d webhook deliveries, want 1\n%s", text, len(ds), e.Logs())
	}
	added := fake.Notifications(fake.RoomID())[before:]
	if len(added) != 1 || added[0].Color != color || !strings.Contains(added[0].Message, "#42 your answer") {
		t.Fatalf("%q: room got %+v, want one %s syntax help\n%s", text, added, color, e.Logs())
	}
}

// A handle no conversation has is explained in red in the room, and parley
// keeps running.
func TestHipChatUnknownHandle(t *testing.T) {
	e, fake := newHipChatEnv(t)
	e.start()
	if !waitUntil(30*time.Second, func() bool { return len(fake.Webhooks(fake.RoomID())) == 1 }) {
		t.Fatalf("the plugin registered no webhook\n%s", e.Logs())
	}
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "hello")
	if !waitUntil(30*time.Second, func() bool { return len(customerNotifications(fake)) == 1 }) {
		t.Fatalf("no customer notification\n%s", e.Logs())
	}
	say := agentSays(t, fake)
	expectHelp(t, e, fake, say, "#999 hello?", "red")

	// parley is still up and still relays.
	for num := range customerNotifications(fake) {
		say(fmt.Sprintf("#%d still here", num))
	}
	if got := waitSentTo(t, e, ann.ID, 1); got[0].Message.Text != "still here" {
		t.Errorf("Ann got %q", got[0].Message.Text)
	}
	assertNoSecrets(t, e, fake.Token(), hcWebhookSecret)
}
