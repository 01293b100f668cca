package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/sdk"
)

// ratingTOML turns the rating on and never reopens by time, so the next
// message after a close starts a new conversation.
const ratingTOML = `
[conversations]
reopen_within = "0s"
[conversations.rating]
enabled = true
`

// keyboard is the inline keyboard of a sent message: labels and data.
func keyboard(t *testing.T, s telegramtest.Sent) (labels, data []string) {
	t.Helper()
	if len(s.ReplyMarkup) == 0 {
		return nil, nil
	}
	var m struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal(s.ReplyMarkup, &m); err != nil {
		t.Fatalf("reply_markup %s: %v", s.ReplyMarkup, err)
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			labels, data = append(labels, b.Text), append(data, b.CallbackData)
		}
	}
	return labels, data
}

// ratingQuestions are the messages with a keyboard sent to chat.
func (e *env) ratingQuestions(chat int64) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range e.tg.SentTo(chat) {
		if s.Method == "sendMessage" && len(s.ReplyMarkup) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// notices are the desk's notices whose text contains substr.
func (e *env) notices(substr string) []webhookdesk.Delivery {
	var out []webhookdesk.Delivery
	seen := map[string]bool{}
	for _, d := range e.desk.Received() {
		if d.Message.Kind == "notice" && strings.Contains(d.Message.Text, substr) && !seen[d.Message.ID] {
			seen[d.Message.ID] = true
			out = append(out, d)
		}
	}
	return out
}

func (e *env) waitNotice(t *testing.T, substr string) webhookdesk.Delivery {
	t.Helper()
	if !waitUntil(20*time.Second, func() bool { return len(e.notices(substr)) > 0 }) {
		t.Fatalf("no notice %q reached the desk; it got %+v\n%s", substr, e.desk.Received(), tail(e.Logs(), 40))
	}
	return e.notices(substr)[0]
}

// answerOf waits for the bot's answer to callback query q.
func (e *env) answerOf(t *testing.T, q string) string {
	t.Helper()
	var text string
	ok := waitUntil(20*time.Second, func() bool {
		for _, a := range e.tg.CallbackAnswers() {
			if a.QueryID == q {
				text = a.Text
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("tap %s was never answered\n%s", q, tail(e.Logs(), 40))
	}
	return text
}

// An operator closes a conversation: the desk is told, the customer gets
// the rating keyboard, taps 4; the tap is answered, the keyboard becomes
// the thanks, the desk sees 4/5; a second tap and a forged one change
// nothing; the next message starts conversation #2, linked to #1.
func TestLifecycleCloseRateAndNewConversation(t *testing.T) {
	e := newEnv(t, ratingTOML)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "My order is late")
	if !e.desk.WaitCount(1, 20*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	first := e.desk.Received()[0].ConversationID

	out, code := e.parley(t, "close", "1")
	if code != 0 || !strings.Contains(out, "closed conversation #1") {
		t.Fatalf("parley close 1: %d %s", code, out)
	}
	if n := e.waitNotice(t, "closed conversation #1"); n.ConversationID != first {
		t.Fatalf("close notice in %s, want %s", n.ConversationID, first)
	}
	if !waitUntil(20*time.Second, func() bool { return len(e.ratingQuestions(ann.ID)) > 0 }) {
		t.Fatalf("no rating question\n%s", tail(e.Logs(), 40))
	}
	q := e.ratingQuestions(ann.ID)[0]
	labels, data := keyboard(t, q)
	if q.Text != "How did we do?" || strings.Join(labels, " ") != "1 2 3 4 5" {
		t.Fatalf("question %q with buttons %v", q.Text, labels)
	}
	for _, d := range data {
		if len(d) > 64 {
			t.Errorf("callback_data %q is %d bytes", d, len(d))
		}
	}

	tap, err := e.tg.TapButton(ann.ID, q.MessageID, ann.ID, data[3])
	if err != nil {
		t.Fatal(err)
	}
	if got := e.answerOf(t, tap); got != "Thank you for your feedback!" {
		t.Errorf("tap answered %q", got)
	}
	if n := e.waitNotice(t, "4/5"); n.ConversationID != first {
		t.Errorf("rating notice in %s, want %s", n.ConversationID, first)
	}
	if !waitUntil(20*time.Second, func() bool {
		for _, s := range e.tg.SentTo(ann.ID) {
			if s.Method == "editMessageText" && s.MessageID == q.MessageID && s.Text == "Thank you for your feedback!" && len(s.ReplyMarkup) == 0 {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the keyboard was not replaced by the thanks: %+v", e.tg.SentTo(ann.ID))
	}

	// A second tap (a client that still showed the keyboard) and a tap
	// with forged data (a modified client) arrive as raw callback queries.
	push := func(id, data string) string {
		t.Helper()
		e.tg.MustPushUpdate(fmt.Sprintf(`{"callback_query":{"id":%q,"from":{"id":%d,"is_bot":false,"first_name":"Ann"},`+
			`"chat_instance":"1","data":%q,"message":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"},"text":"x"}}}`,
			id, ann.ID, data, q.MessageID, ann.ID))
		return id
	}
	if got := e.answerOf(t, push("second-tap", data[4])); !strings.Contains(got, "already rated") {
		t.Errorf("second tap answered %q", got)
	}
	forged := data[4][:len(data[4])-2] + "xx"
	if got := e.answerOf(t, push("forged-tap", forged)); got != "This rating has expired." {
		t.Errorf("forged tap answered %q", got)
	}
	if got := e.answerOf(t, push("foreign-tap", "r.000000000000.5.AAAAAAAAAAAAAAAA")); got != "This rating has expired." {
		t.Errorf("a tap on another host's button answered %q", got)
	}

	e.tg.SendText(ann.ID, "Another question")
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
		return ds[len(ds)-1].Message.Text == "Another question"
	}) {
		t.Fatalf("the next message did not arrive\n%s", tail(e.Logs(), 40))
	}
	ds := e.desk.Received()
	if next := ds[len(ds)-1].ConversationID; next == first {
		t.Fatalf("the message after the close went to the closed conversation %s", first)
	}
	// The answers above are the sentinels: every tap was processed.
	if n := len(e.notices("/5")); n != 1 {
		t.Errorf("the desk got %d rating notices, want 1", n)
	}
	e.wantMetric(t, `parley_conversation_ratings_total{score="4"} 1`)
	e.wantMetric(t, `parley_conversation_ratings_total{score="5"} 0`)
	out, code = e.parley(t, "conversations")
	if code != 0 || !regexpLine(out, `^#2 .* open .* #1$`) || !regexpLine(out, `^#1 .* closed .*operator`) {
		t.Errorf("parley conversations:\n%s", out)
	}
	out, _ = e.parley(t, "conversations", "--state", "closed")
	if !strings.Contains(out, "#1 ") || strings.Contains(out, "#2 ") {
		t.Errorf("parley conversations --state closed:\n%s", out)
	}
}

// /new closes the customer's conversation without a rating, is not
// relayed, and the next message starts a new conversation.
func TestLifecycleNewCommand(t *testing.T) {
	e := newEnv(t, ratingTOML)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "first topic")
	if !e.desk.WaitCount(1, 20*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	first := e.desk.Received()[0].ConversationID
	e.tg.SendText(ann.ID, "/new")
	e.waitNotice(t, "The customer closed conversation #1")
	e.tg.SendText(ann.ID, "second topic")
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return ds[len(ds)-1].Message.Text == "second topic" }) {
		t.Fatalf("second topic did not arrive\n%s", tail(e.Logs(), 40))
	}
	ds := e.desk.Received()
	if ds[len(ds)-1].ConversationID == first {
		t.Fatal("the message after /new went to the closed conversation")
	}
	for _, d := range ds {
		if d.Message.Text == "/new" {
			t.Error("/new was relayed to the desk")
		}
	}
	if qs := e.ratingQuestions(ann.ID); len(qs) != 0 {
		t.Errorf("the customer's own close asked for a rating: %+v", qs)
	}
}

// A conversation idle for close_after is closed by the host.
func TestLifecycleIdleClose(t *testing.T) {
	e := newEnv(t, "[conversations]\nclose_after = \"2s\"\n")
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "hello?")
	if !e.desk.WaitCount(1, 20*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	n := e.waitNotice(t, "closed after being idle")
	if n.ConversationID != e.desk.Received()[0].ConversationID {
		t.Errorf("idle notice for %s", n.ConversationID)
	}
	out, _ := e.parley(t, "conversations", "--state", "closed")
	if !strings.Contains(out, "(idle)") {
		t.Errorf("parley conversations --state closed:\n%s", out)
	}
}

// SIGKILL between a close and its rating question, and again right after
// the tap: the question is sent once, the score stored once, the desk
// told once.
func TestLifecycleRatingSurvivesSIGKILL(t *testing.T) {
	e := newEnv(t, ratingTOML)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "help")
	if !e.desk.WaitCount(1, 20*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	e.kill()
	// The close commits with the question queued while no host runs: the
	// state a SIGKILL right after the close leaves.
	if out, code := e.parley(t, "close", "1"); code != 0 {
		t.Fatalf("parley close: %s", out)
	}
	logged := len(e.Logs())
	e.start()
	if !waitUntil(20*time.Second, func() bool { return len(e.ratingQuestions(ann.ID)) > 0 }) {
		t.Fatalf("no rating question after the restart\n%s", tail(e.Logs(), 40))
	}
	// Tap only once the host recorded the question as sent: a kill after
	// Telegram accepted it but before that record sends it again (the
	// documented at-least-once window), which a person cannot hit by tapping.
	if !waitUntil(20*time.Second, func() bool { return strings.Contains(e.Logs()[logged:], "reply sent:") }) {
		t.Fatalf("the host never recorded the question as sent\n%s", tail(e.Logs(), 40))
	}
	q := e.ratingQuestions(ann.ID)[0]
	_, data := keyboard(t, q)
	tap, err := e.tg.TapButton(ann.ID, q.MessageID, ann.ID, data[1])
	if err != nil {
		t.Fatal(err)
	}
	e.answerOf(t, tap)
	e.kill()
	e.start()
	e.waitNotice(t, "2/5")
	// Restart once more; anything queued twice would go out now.
	e.stop()
	e.start()
	e.tg.SendText(ann.ID, "sentinel")
	if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool { return ds[len(ds)-1].Message.Text == "sentinel" }) {
		t.Fatalf("sentinel did not arrive\n%s", tail(e.Logs(), 40))
	}
	if n := len(e.ratingQuestions(ann.ID)); n != 1 {
		t.Errorf("the question was sent %d times", n)
	}
	if n := len(e.notices("/5")); n != 1 {
		t.Errorf("the desk was told the rating %d times", n)
	}
	if n := len(e.notices("closed conversation #1")); n != 1 {
		t.Errorf("the desk was told of the close %d times", n)
	}
}

// regexpLine reports whether a line of out matches pattern (spaces in the
// table collapsed to one).
func regexpLine(out, pattern string) bool {
	for _, line := range strings.Split(out, "\n") {
		if matched(strings.Join(strings.Fields(line), " "), pattern) {
			return true
		}
	}
	return false
}

func matched(s, pattern string) bool {
	ok, err := regexp.MatchString(pattern, s)
	if err != nil {
		panic(fmt.Sprintf("pattern %q: %v", pattern, err))
	}
	return ok
}

// actionDesk is the log the actiondesk plugin writes.
type actionEntry struct {
	ConversationID    string      `json:"conversation_id"`
	Number            int64       `json:"number"`
	State             string      `json:"state"`
	PreviousID        string      `json:"previous_id"`
	PreviousNumber    int64       `json:"previous_number"`
	PreviousThreadRef string      `json:"previous_thread_ref"`
	Kind              string      `json:"kind"`
	Text              string      `json:"text"`
	MessageID         string      `json:"message_id"`
	Notice            *sdk.Notice `json:"notice"`
}

func readActionLog(t *testing.T, path string) []actionEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []actionEntry
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var e actionEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// waitAction waits for a log entry matching cond and returns it.
func waitAction(t *testing.T, e *env, path string, what string, cond func(actionEntry) bool) actionEntry {
	t.Helper()
	var found actionEntry
	if !waitUntil(20*time.Second, func() bool {
		for _, en := range readActionLog(t, path) {
			if cond(en) {
				found = en
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the desk never got %s; log: %+v\n%s", what, readActionLog(t, path), tail(e.Logs(), 40))
	}
	return found
}

func noticeCode(code sdk.NoticeCode) func(actionEntry) bool {
	return func(en actionEntry) bool { return en.Notice != nil && en.Notice.Code == code }
}

// postActions posts actions to the desk's hook (path "" or "/post").
func postActions(t *testing.T, e *env, path string, actions ...sdk.Action) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"actions": actions})
	resp, err := http.Post(e.public+"/hooks/desk"+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A desk's actions through its webhook answers and through
// Host.PostAction: a claim reaches the desk as conversation_claimed (once,
// under a retry), an unknown conversation is a 422, a close by thread
// asks the customer for a rating, and the next message starts a new
// conversation whose first delivery names the old thread.
func TestLifecycleDeskActions(t *testing.T) {
	log := filepath.Join(t.TempDir(), "desk.log")
	e := newEnvWith(t, envOptions{ExtraTOML: ratingTOML, Channels: fmt.Sprintf(`[channels.desk]
plugin = "actiondesk"
[channels.desk.config]
log = %q
`, log)})
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "hi")
	first := waitAction(t, e, log, "the message", func(en actionEntry) bool { return en.Text == "hi" })
	if first.Number != 1 || first.State != "open" || first.PreviousID != "" {
		t.Fatalf("first delivery %+v", first)
	}

	claim := sdk.Action{Kind: sdk.ActionClaim, ConversationID: first.ConversationID, ExternalID: "a1", Agent: "Grace Hopper"}
	for range 2 { // the second is a desk's retry
		if status, body := postActions(t, e, "", claim); status != http.StatusOK {
			t.Fatalf("claim: %d %s", status, body)
		}
	}
	n := waitAction(t, e, log, "the claim", noticeCode(sdk.NoticeConversationClaimed)).Notice
	if n.Agent != "Grace Hopper" || n.SourceChannel != "desk" || n.ActionExternalID != "a1" || n.State != sdk.StateClaimed {
		t.Errorf("claim notice %+v", n)
	}
	if status, body := postActions(t, e, "", sdk.Action{Kind: sdk.ActionClose, ConversationID: "c_nope", ExternalID: "a2"}); status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown conversation: %d %s", status, body)
	}

	status, body := postActions(t, e, "/post", sdk.Action{Kind: sdk.ActionClose, ThreadRef: []byte("t-" + first.ConversationID), ExternalID: "a3"})
	if status != http.StatusOK || !strings.Contains(body, `"Changed":true`) {
		t.Fatalf("PostAction close: %d %s", status, body)
	}
	n = waitAction(t, e, log, "the close", noticeCode(sdk.NoticeConversationClosed)).Notice
	if n.Agent != "an agent" || n.Reason != sdk.CloseByAgent {
		t.Errorf("close notice %+v", n)
	}
	if status, body := postActions(t, e, "/post", sdk.Action{Kind: sdk.ActionClose, ConversationID: first.ConversationID, ExternalID: "a4"}); status != http.StatusOK || !strings.Contains(body, `"Changed":false`) {
		t.Errorf("closing a closed conversation: %d %s", status, body)
	}
	waitAction(t, e, log, "action_ignored", noticeCode(sdk.NoticeActionIgnored))
	e.wantMetric(t, `parley_conversations_closed_total{reason="agent"} 1`)
	if !waitUntil(20*time.Second, func() bool { return len(e.ratingQuestions(ann.ID)) == 1 }) {
		t.Fatalf("the agent's close asked no rating\n%s", tail(e.Logs(), 40))
	}

	e.tg.SendText(ann.ID, "new question")
	next := waitAction(t, e, log, "the next message", func(en actionEntry) bool { return en.Text == "new question" })
	if next.ConversationID == first.ConversationID || next.Number != 2 || next.PreviousID != first.ConversationID ||
		next.PreviousNumber != 1 || next.PreviousThreadRef != "t-"+first.ConversationID {
		t.Fatalf("the message after the close: %+v", next)
	}
	if n := len(readActionLog(t, log)); n == 0 {
		t.Fatal("empty log")
	}
	claims := 0
	for _, en := range readActionLog(t, log) {
		if en.Notice != nil && en.Notice.Code == sdk.NoticeConversationClaimed {
			claims++
		}
	}
	if claims != 1 {
		t.Errorf("the desk got %d claim notices, want 1 (the retry is a duplicate)", claims)
	}
}

// wantMetric fails unless the host's /metrics has the line.
func (e *env) wantMetric(t *testing.T, line string) {
	t.Helper()
	resp, err := http.Get(e.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), line+"\n") {
		t.Errorf("/metrics has no line %q", line)
	}
}

// A customer's message racing an agent's close lands in exactly one
// conversation, and never in a closed one behind its close notice.
func TestLifecycleMessageRacesClose(t *testing.T) {
	log := filepath.Join(t.TempDir(), "desk.log")
	e := newEnvWith(t, envOptions{ExtraTOML: "[conversations]\nreopen_within = \"0s\"\n", Channels: fmt.Sprintf(`[channels.desk]
plugin = "actiondesk"
[channels.desk.config]
log = %q
`, log)})
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
	e.tg.SendText(ann.ID, "race -1")
	const rounds = 6
	for i := range rounds {
		prev := waitAction(t, e, log, fmt.Sprintf("race %d", i-1), func(en actionEntry) bool { return en.Text == fmt.Sprintf("race %d", i-1) })
		done := make(chan struct{})
		go func() {
			defer close(done)
			postActions(t, e, "", sdk.Action{Kind: sdk.ActionClose, ConversationID: prev.ConversationID, ExternalID: fmt.Sprint("close-", i)})
		}()
		e.tg.SendText(ann.ID, fmt.Sprintf("race %d", i))
		<-done
	}
	waitAction(t, e, log, "the last message", func(en actionEntry) bool { return en.Text == fmt.Sprintf("race %d", rounds-1) })
	seen := map[string]int{}
	closed := map[string]bool{}
	for _, en := range readActionLog(t, log) {
		switch {
		case en.Notice != nil && en.Notice.Code == sdk.NoticeConversationClosed:
			closed[en.ConversationID] = true
		case en.Notice != nil:
		case closed[en.ConversationID]:
			t.Errorf("%q delivered to conversation #%d after its close", en.Text, en.Number)
		default:
			seen[en.Text]++
		}
	}
	for i := -1; i < rounds; i++ {
		if n := seen[fmt.Sprintf("race %d", i)]; n != 1 {
			t.Errorf("race %d delivered %d times", i, n)
		}
	}
}

// A customer who writes again soon after a close reopens the same
// conversation (reopen_within, default 1h): the desk is told, and the
// message lands in the same conversation. With after_close = "reopen" that
// holds however long after the close.
func TestLifecycleReopen(t *testing.T) {
	for name, toml := range map[string]string{
		"within the default hour":      "",
		"after_close reopen, any time": "[conversations]\nafter_close = \"reopen\"\nreopen_within = \"0s\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, toml)
			e.start()
			ann := e.tg.AddUser(telego.User{FirstName: "Ann"})
			e.tg.SendText(ann.ID, "my order is late")
			if !e.desk.WaitCount(1, 20*time.Second) {
				t.Fatalf("desk received nothing\n%s", e.Logs())
			}
			conv := e.desk.Received()[0].ConversationID
			if status, body := e.action("close", conv, "c1", "Grace"); status != 200 {
				t.Fatalf("close: %d %s", status, body)
			}
			e.waitNoticeCode("conversation_closed", 1)

			e.tg.SendText(ann.ID, "it still has not come")
			reopened := e.waitNoticeCode("conversation_reopened", 1)
			if reopened.ConversationID != conv {
				t.Errorf("reopened %s, want %s", reopened.ConversationID, conv)
			}
			if !e.desk.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
				return ds[len(ds)-1].Message.Text == "it still has not come"
			}) {
				t.Fatalf("the message after the close did not arrive\n%s", tail(e.Logs(), 40))
			}
			if got := e.desk.Received(); got[len(got)-1].ConversationID != conv {
				t.Errorf("the message after the close went to %s, want the reopened %s", got[len(got)-1].ConversationID, conv)
			}
		})
	}
}
