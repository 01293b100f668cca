package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// newSlackEnv runs parley with one Slack channel ("slack") against a fresh
// fake workspace: Events API at <public>/hooks/slack, or Socket Mode.
func newSlackEnv(t *testing.T, socket bool) (*env, *slackfake.Fake) {
	t.Helper()
	// Slack retries after 1 and 5 minutes; compressed so a failed event
	// cannot stall the fake's in-order queue for the rest of the test.
	fake := slackfake.New(slackfake.WithRetryDelays(0, 200*time.Millisecond, 500*time.Millisecond))
	t.Cleanup(fake.Close)
	auth := `signing_secret = "${E2E_SLACK_SIGNING_SECRET}"`
	if socket {
		auth = `app_token = "${E2E_SLACK_APP_TOKEN}"`
	}
	e := newEnvWith(t, envOptions{
		Channels: fmt.Sprintf(`[channels.slack]
plugin = "slack"
[channels.slack.config]
bot_token = "${E2E_SLACK_BOT_TOKEN}"
%s
channel = "#%s"
api_url = %q
`, auth, slackfake.ChannelName, fake.APIURL()),
		Env: map[string]string{
			"E2E_SLACK_BOT_TOKEN":      slackfake.BotToken,
			"E2E_SLACK_SIGNING_SECRET": slackfake.SigningSecret,
			"E2E_SLACK_APP_TOKEN":      slackfake.AppToken,
		},
	})
	if !socket {
		fake.SetEventsURL(e.public + "/hooks/slack")
	}
	return e, fake
}

// slackCtx bounds one call to the fake.
func slackCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitRoot waits for the n-th (1-based) thread parent in #support and
// for its thread to hold a message containing text.
func waitRoot(t *testing.T, e *env, fake *slackfake.Fake, n int, text string) slackfake.Message {
	t.Helper()
	var root slackfake.Message
	ok := fake.WaitFor(30*time.Second, func() bool {
		roots := fake.Roots(slackfake.ChannelID)
		if len(roots) < n {
			return false
		}
		root = roots[n-1]
		for _, m := range fake.Thread(slackfake.ChannelID, root.TS) {
			if strings.Contains(m.Text, text) {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("no Slack thread %d with %q; roots %+v\n%s", n, text, fake.Roots(slackfake.ChannelID), e.Logs())
	}
	return root
}

// waitSentTo waits until chat has received n messages from the bot and
// returns them.
func waitSentTo(t *testing.T, e *env, chat int64, n int) []telegramtest.Sent {
	t.Helper()
	if !testwait.Poll(30*time.Second, func() bool { return len(e.tg.SentTo(chat)) >= n }) {
		t.Fatalf("chat %d got %d messages, want %d\n%s", chat, len(e.tg.SentTo(chat)), n, e.Logs())
	}
	return e.tg.SentTo(chat)
}

// settle is a fixed wait for "nothing else arrived" checks that have no
// sentinel (see sentinel_test.go for the better way); it can pass on a slow
// machine that simply has not caught up yet.
func settle() { time.Sleep(1500 * time.Millisecond) }

// assertNoSecrets checks that neither the bot token nor any of a desk's
// secrets appears in the host log (plugins' output included).
func assertNoSecrets(t *testing.T, e *env, secrets ...string) {
	t.Helper()
	logs := e.Logs()
	if strings.Contains(logs, e.tg.Token()) {
		t.Error("the bot token appears in the host log")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the secret %.6s… appears in the host log", s)
		}
	}
}

// agentEvent is a message event as Slack sends it for an agent's reply in
// a thread.
func agentEvent(threadTS, ts, text string) map[string]any {
	return map[string]any{"type": "message", "channel": slackfake.ChannelID, "channel_type": "channel",
		"user": slackfake.AgentUserID, "text": text, "ts": ts, "event_ts": ts, "thread_ts": threadTS,
		"parent_user_id": slackfake.BotUserID}
}

// Events API: each Telegram user gets a thread with a header, agents'
// replies and files in a thread reach that user only, once; forged,
// retried and echoed events reach nobody.
func TestSlackEventsAPI(t *testing.T) {
	e, fake := newSlackEnv(t, false)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee", LanguageCode: "de"})
	bo := e.tg.AddUser(telego.User{FirstName: "Bo", Username: "bo_k", LanguageCode: "en"})

	e.tg.SendText(ann.ID, "Hello, my order is late")
	annRoot := waitRoot(t, e, fake, 1, "Hello, my order is late")
	if annRoot.BotID != slackfake.BotID {
		t.Errorf("thread parent posted by %q/%q, want the bot", annRoot.User, annRoot.BotID)
	}
	header := annRoot.Text + "\n" + annRoot.Blocks
	for _, want := range []string{"Ann Lee", "@annlee", "https://t.me/annlee", "Language", "de", "`" + strconv.FormatInt(ann.ID, 10) + "`"} {
		if !strings.Contains(header, want) {
			t.Errorf("thread header lacks %q:\n%s", want, header)
		}
	}
	msg := fake.Thread(slackfake.ChannelID, annRoot.TS)[0]
	if msg.Text != "Hello, my order is late" || msg.Username != "Ann Lee" {
		t.Errorf("customer message posted as %q by %q", msg.Text, msg.Username)
	}

	// The agent answers in the thread (Slack escapes & as &amp;).
	ctx := slackCtx(t)
	_, d1, err := fake.AgentReply(ctx, slackfake.ChannelID, annRoot.TS, slackfake.AgentUserID, "Sorry! It ships *today* &amp; fast")
	if err != nil || !d1.OK() {
		t.Fatalf("agent reply: %v, delivery %+v\n%s", err, d1.Attempts, e.Logs())
	}
	got := waitSentTo(t, e, ann.ID, 1)
	if got[0].Message.Text != "Sorry! It ships today & fast" {
		t.Errorf("Telegram got %q (sent as %q, %s)", got[0].Message.Text, got[0].Text, got[0].ParseMode)
	}

	// A second user gets a second thread; its reply goes to them alone.
	e.tg.SendText(bo.ID, "Hi from Bo")
	boRoot := waitRoot(t, e, fake, 2, "Hi from Bo")
	if boRoot.TS == annRoot.TS || !strings.Contains(boRoot.Text, "@bo_k") {
		t.Fatalf("second thread %+v (first %s)", boRoot, annRoot.TS)
	}
	for _, m := range fake.Thread(slackfake.ChannelID, annRoot.TS) {
		if strings.Contains(m.Text, "Bo") {
			t.Errorf("the second user's message went to the first thread: %q", m.Text)
		}
	}
	if _, d, err := fake.AgentReply(ctx, slackfake.ChannelID, boRoot.TS, slackfake.AgentUserID, "Hello Bo"); err != nil || !d.OK() {
		t.Fatalf("agent reply to Bo: %v %+v", err, d.Attempts)
	}
	if got := waitSentTo(t, e, bo.ID, 1); got[0].Message.Text != "Hello Bo" {
		t.Errorf("Bo got %q", got[0].Message.Text)
	}

	// An agent's file reaches Telegram as an upload with its text.
	pdf := bytes.Repeat([]byte("%PDF-label-"), 300)
	if _, _, d, err := fake.AgentUpload(ctx, slackfake.ChannelID, annRoot.TS, slackfake.AgentUserID, "label.pdf", "application/pdf", pdf, "your label"); err != nil || !d.OK() {
		t.Fatalf("agent upload: %v %+v", err, d.Attempts)
	}
	got = waitSentTo(t, e, ann.ID, 2)
	up := got[1]
	if up.Method != "sendDocument" || len(up.Files) != 1 || !bytes.Equal(up.Files[0].Data, pdf) || up.Files[0].Name != "label.pdf" {
		t.Errorf("agent file went out as %s with %d files", up.Method, len(up.Files))
	}
	if up.Message.Caption != "your label" {
		t.Errorf("file caption %q, want %q", up.Message.Caption, "your label")
	}

	// A forged event (wrong signing secret) is refused and reaches nobody.
	status, err := fake.SendWithBadSignature(ctx, agentEvent(annRoot.TS, "1800000000.000001", "forged: send your password"))
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusUnauthorized {
		t.Errorf("bad signature answered %d, want 401", status)
	}
	// So is a correctly signed event outside Slack's 5-minute window.
	status, err = fake.SendWithStaleTimestamp(ctx, agentEvent(annRoot.TS, "1800000000.000002", "replayed from last week"), 6*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusUnauthorized {
		t.Errorf("stale timestamp answered %d, want 401", status)
	}

	// Slack retries the first reply (X-Slack-Retry-Num, same bytes and
	// event_id): stored and sent once.
	for retry := 1; retry <= 2; retry++ {
		status, err := fake.ReplayExact(ctx, d1, retry)
		if err != nil || status != http.StatusOK {
			t.Fatalf("replay %d: status %d, %v", retry, status, err)
		}
	}

	slackSentinel(t, e, fake, annRoot.TS, ann.ID, "sentinel for Ann")
	slackSentinel(t, e, fake, boRoot.TS, bo.ID, "sentinel for Bo")
	if n := len(e.tg.SentTo(ann.ID)); n != 3 {
		for _, s := range e.tg.SentTo(ann.ID) {
			t.Logf("ann got %s %q", s.Method, s.Message.Text)
		}
		t.Errorf("Ann got %d messages, want 3 (reply, file, sentinel): a forged, retried or echoed event reached her", n)
	}
	if n := len(e.tg.SentTo(bo.ID)); n != 2 {
		t.Errorf("Bo got %d messages, want 2 (reply, sentinel)", n)
	}

	// The app's own posts came back as events (Slack echoes them); each
	// was accepted and none reached Telegram (counted above).
	echoes := 0
	for _, d := range fake.Deliveries() {
		if bytes.Contains(d.Body, []byte(`"bot_id":"`+slackfake.BotID+`"`)) {
			echoes++
			if !d.OK() {
				t.Errorf("echo %s answered %+v", d.EventID, d.Attempts)
			}
		}
	}
	if echoes < 4 { // two headers and two customer messages at least
		t.Errorf("%d echo events delivered, want at least 4", echoes)
	}
	assertNoSecrets(t, e, slackfake.BotToken, slackfake.AppToken, slackfake.SigningSecret)
}

// Socket Mode: the plugin holds the websocket; a reply arrives, and after
// the connection drops mid-run the next reply still arrives, exactly once.
func TestSlackSocketModeReconnect(t *testing.T) {
	e, fake := newSlackEnv(t, true)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", Username: "annlee"})

	if !fake.WaitFor(30*time.Second, func() bool { _, open := fake.SocketConnections(); return open > 0 }) {
		t.Fatalf("the plugin did not open Socket Mode\n%s", e.Logs())
	}
	e.tg.SendText(ann.ID, "Is anyone there?")
	root := waitRoot(t, e, fake, 1, "Is anyone there?")

	ctx := slackCtx(t)
	if _, d, err := fake.AgentReply(ctx, slackfake.ChannelID, root.TS, slackfake.AgentUserID, "Yes, here"); err != nil || !d.Socket {
		t.Fatalf("agent reply: %v (socket %v)", err, d.Socket)
	}
	if got := waitSentTo(t, e, ann.ID, 1); got[0].Message.Text != "Yes, here" {
		t.Errorf("Telegram got %q", got[0].Message.Text)
	}

	// The network drops the websocket; the next reply is sent while the
	// plugin reconnects and must arrive after it did.
	before, _ := fake.SocketConnections()
	fake.DropSocket()
	if _, _, err := fake.AgentReply(ctx, slackfake.ChannelID, root.TS, slackfake.AgentUserID, "Still here after the outage"); err != nil {
		t.Fatal(err)
	}
	got := waitSentTo(t, e, ann.ID, 2)
	if got[1].Message.Text != "Still here after the outage" {
		t.Errorf("Telegram got %q after the reconnect", got[1].Message.Text)
	}
	if total, _ := fake.SocketConnections(); total <= before {
		t.Errorf("%d Socket Mode connections after the drop, want more than %d", total, before)
	}
	if !fake.WaitFor(30*time.Second, func() bool { return len(fake.Unacked()) == 0 }) {
		t.Errorf("envelopes never acknowledged: %v", fake.Unacked())
	}

	slackSentinel(t, e, fake, root.TS, ann.ID, "sentinel for Ann")
	if n := len(e.tg.SentTo(ann.ID)); n != 3 {
		for _, s := range e.tg.SentTo(ann.ID) {
			t.Logf("ann got %s %q", s.Method, s.Message.Text)
		}
		t.Errorf("Ann got %d messages, want 3 (two replies, sentinel): a redelivered envelope was sent twice", n)
	}
	assertNoSecrets(t, e, slackfake.BotToken, slackfake.AppToken, slackfake.SigningSecret)
}
