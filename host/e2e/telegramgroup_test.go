package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// staffGroup is the Telegram staff group desk of an env: the staff bot
// (a second bot on the same fake Telegram), the forum supergroup it
// administers with the right to manage topics, and an agent.
type staffGroup struct {
	bot   *telegramtest.Bot
	group telego.Chat
	agent telego.User
}

// newGroupEnv runs parley with one telegramgroup channel ("staff"); more
// lines of its config table may follow.
func newGroupEnv(t *testing.T, extraTOML string, config ...string) (*env, staffGroup) {
	t.Helper()
	e := newEnvWith(t, envOptions{ExtraTOML: extraTOML})
	g := staffGroup{bot: e.tg.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Staff", Username: "acme_staff_bot"}})}
	g.agent = e.tg.RegisterUser(telego.User{FirstName: "Grace", LastName: "Hopper", Username: "grace"})
	g.group = e.tg.AddSupergroup(telegramtest.SupergroupOptions{Title: "Acme support", Forum: true, Owner: g.agent.ID,
		Admins: map[int64]telegramtest.AdminRights{g.bot.User().ID: {CanManageTopics: true}}})
	e.opts.Channels = fmt.Sprintf(`[channels.staff]
plugin = "telegramgroup"
[channels.staff.config]
bot_token = "${E2E_STAFF_BOT_TOKEN}"
group_id = %d
api_url = %q
%s
`, g.group.ID, e.tg.URL(), strings.Join(config, "\n"))
	e.opts.Env = map[string]string{"E2E_STAFF_BOT_TOKEN": g.bot.Token()}
	e.writeConfig()
	return e, g
}

// inTopic is what the staff bot posted in a topic, oldest first.
func (g staffGroup) inTopic(topic int) []telegramtest.Sent {
	var out []telegramtest.Sent
	for _, s := range g.bot.SentTo(g.group.ID) {
		if s.MessageThreadID == topic && s.Method != "editMessageText" {
			out = append(out, s)
		}
	}
	return out
}

// shown is the text (or caption) of what the staff bot posted in a topic.
func (g staffGroup) shown(topic int) []string {
	var out []string
	for _, s := range g.inTopic(topic) {
		out = append(out, s.Message.Text+s.Message.Caption)
	}
	return out
}

// waitTopic waits for the n-th (1-based) topic of the group to show text.
func waitTopic(t *testing.T, e *env, g staffGroup, n int, text string) telegramtest.TopicInfo {
	t.Helper()
	var topic telegramtest.TopicInfo
	ok := waitUntil(30*time.Second, func() bool {
		ts := e.tg.Topics(g.group.ID)
		if len(ts) < n {
			return false
		}
		topic = ts[n-1]
		for _, s := range g.shown(topic.MessageThreadID) {
			if strings.Contains(s, text) {
				return true
			}
		}
		return false
	})
	if !ok {
		var shown [][]string
		for _, tp := range e.tg.Topics(g.group.ID) {
			shown = append(shown, g.shown(tp.MessageThreadID))
		}
		t.Fatalf("topic %d never showed %q; topics %+v %q\n%s", n, text, e.tg.Topics(g.group.ID), shown, tail(e.Logs(), 60))
	}
	return topic
}

// waitTopicState waits until the n-th topic has name and closed.
func waitTopicState(t *testing.T, e *env, g staffGroup, n int, name string, closed bool) {
	t.Helper()
	if !waitUntil(30*time.Second, func() bool {
		ts := e.tg.Topics(g.group.ID)
		return len(ts) >= n && ts[n-1].Name == name && ts[n-1].Closed == closed
	}) {
		t.Fatalf("topic %d is %+v, want %q closed=%v\n%s", n, e.tg.Topics(g.group.ID), name, closed, tail(e.Logs(), 60))
	}
}

// Two customers get two topics named after them with a header; an agent's
// formatted text and photo reach the customer of the topic only, an
// internal note reaches nobody, and an edit edits the customer's copy.
func TestTelegramGroupTopicsAndReplies(t *testing.T) {
	e, g := newGroupEnv(t, "")
	e.start()
	ada := e.tg.AddUser(telego.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada_l", LanguageCode: "en"})
	bob := e.tg.AddUser(telego.User{FirstName: "Bob", LanguageCode: "de"})

	e.tg.SendText(ada.ID, "My order is late", telego.MessageEntity{Type: "bold", Offset: 3, Length: 5})
	adaTopic := waitTopic(t, e, g, 1, "My order is late")
	e.tg.SendText(bob.ID, "Wo ist mein Paket?")
	bobTopic := waitTopic(t, e, g, 2, "Wo ist mein Paket?")
	if adaTopic.Name != "Ada Lovelace @ada_l #1" || bobTopic.Name != "Bob #2" {
		t.Errorf("topics named %q and %q", adaTopic.Name, bobTopic.Name)
	}
	msgs := g.inTopic(adaTopic.MessageThreadID)
	for _, want := range []string{"Ada Lovelace", "@ada_l", "Language: en", strconv.FormatInt(ada.ID, 10)} {
		if !strings.Contains(msgs[0].Message.Text, want) {
			t.Errorf("header lacks %q:\n%s", want, msgs[0].Message.Text)
		}
	}
	if msgs[1].Text != "My <b>order</b> is late" {
		t.Errorf("the customer's text posted as %q", msgs[1].Text)
	}

	// The agent answers Ada with formatting, notes something, sends a photo.
	m := e.tg.NewTopicMessage(g.group.ID, adaTopic.MessageThreadID, g.agent.ID)
	m.Text = "It ships today"
	m.Entities = []telego.MessageEntity{{Type: "italic", Offset: 9, Length: 5}}
	e.tg.PushGroupMessage(m)
	e.tg.PostInTopic(g.group.ID, adaTopic.MessageThreadID, g.agent.ID, "// warehouse says tomorrow really")
	id, unique := e.tg.AddFile(pngImage(t, 64, 48), "label.png", "image/png")
	p := e.tg.NewTopicMessage(g.group.ID, adaTopic.MessageThreadID, g.agent.ID)
	p.Photo = []telego.PhotoSize{{FileID: id, FileUniqueID: unique, Width: 64, Height: 48}}
	p.Caption = "Your label"
	e.tg.PushGroupMessage(p)

	sent := waitSentTo(t, e, ada.ID, 2) // the text, the photo
	var texts []string
	for _, s := range sent {
		texts = append(texts, s.Method+":"+s.Message.Text+s.Message.Caption)
		if strings.Contains(s.Text+s.Caption, "warehouse") {
			t.Errorf("the internal note reached the customer: %+v", s)
		}
	}
	reply := sent[0]
	if reply.Method != "sendMessage" || reply.Message.Text != "It ships today" || !strings.Contains(reply.Text, "<i>today</i>") {
		t.Errorf("the reply reached Ada as %s %q (%q)", reply.Method, reply.Text, texts)
	}
	if photo := sent[1]; photo.Method != "sendPhoto" || photo.Message.Caption != "Your label" || len(photo.Files) != 1 {
		t.Errorf("the photo reached Ada as %s %q files %d (%q)", photo.Method, photo.Message.Caption, len(photo.Files), texts)
	}
	if n := len(e.tg.SentTo(bob.ID)); n != 0 {
		t.Errorf("Bob got %d messages, want none", n)
	}

	// The agent corrects the text: Ada's copy is edited in place.
	edit := m
	edit.Text = "It ships tomorrow"
	edit.Entities = nil
	e.tg.PushGroupEdit(edit)
	if !waitUntil(30*time.Second, func() bool {
		for _, s := range e.tg.SentTo(ada.ID) {
			if s.Method == "editMessageText" && s.MessageID == reply.MessageID && s.Message.Text == "It ships tomorrow" {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the edit never reached Ada's copy: %+v\n%s", e.tg.SentTo(ada.ID), tail(e.Logs(), 40))
	}
	// Ada's edit of her own message edits the staff bot's copy.
	first := g.inTopic(adaTopic.MessageThreadID)[1]
	am := e.tg.NewMessage(ada.ID, ada.ID)
	am.MessageID, am.Text = 1, "My order is very late"
	e.tg.PushEdit(am)
	if !waitUntil(30*time.Second, func() bool {
		for _, s := range g.bot.SentTo(g.group.ID) {
			if s.Method == "editMessageText" && s.MessageID == first.MessageID && strings.Contains(s.Message.Text, "My order is very late") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("Ada's edit never reached the topic: %+v\n%s", g.bot.SentTo(g.group.ID), tail(e.Logs(), 40))
	}
	assertNoSecrets(t, e, g.bot.Token())
}

// A storm of 429s from the staff side (the group's 20 a minute) loses and
// repeats nothing: every customer message lands in the topic once, in
// order.
func TestTelegramGroupRateLimitStorm(t *testing.T) {
	e, g := newGroupEnv(t, "")
	e.start()
	ada := e.tg.AddUser(telego.User{FirstName: "Ada"})
	e.tg.SendText(ada.ID, "msg 0")
	topic := waitTopic(t, e, g, 1, "msg 0")

	g.bot.Inject(telegramtest.Fault{Method: "sendMessage", Times: 3, Status: 429, RetryAfter: 1})
	g.bot.Inject(telegramtest.Fault{Method: "sendMessage", Skip: 2, Times: 2, Status: 429, RetryAfter: 2})
	const n = 12
	for i := 1; i <= n; i++ {
		e.tg.SendText(ada.ID, fmt.Sprintf("msg %d", i))
	}
	waitTopic(t, e, g, 1, fmt.Sprintf("msg %d", n))
	var got []string
	for _, s := range g.shown(topic.MessageThreadID)[1:] {
		got = append(got, s)
	}
	var want []string
	for i := 0; i <= n; i++ {
		want = append(want, fmt.Sprintf("msg %d", i))
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("topic shows %q, want %q", got, want)
	}
	if g.bot.Served429() < 5 {
		t.Errorf("the fake served %d 429s, want 5", g.bot.Served429())
	}
	if len(e.tg.Topics(g.group.ID)) != 1 {
		t.Errorf("topics %+v, want one", e.tg.Topics(g.group.ID))
	}
}

// staffPluginPID finds the telegramgroup plugin process of the host.
func (e *env) staffPluginPID() int {
	e.mu.Lock()
	host := 0
	if e.cmd != nil {
		host = e.cmd.Process.Pid
	}
	e.mu.Unlock()
	bin := filepath.Join(binDir, "plugins", "parley-channel-telegramgroup")
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil || !strings.HasPrefix(string(cmdline), bin) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(host) {
			return pid
		}
	}
	return 0
}

// The plugin killed twice while customers write and an agent answers:
// every customer message reaches the topic and every answer the customer,
// and no answer twice (the host stores a reply once per Telegram message
// id; the staff bot's updates are confirmed only once stored).
func TestTelegramGroupPluginKilled(t *testing.T) {
	e, g := newGroupEnv(t, "")
	e.start()
	ada := e.tg.AddUser(telego.User{FirstName: "Ada"})
	e.tg.SendText(ada.ID, "c 0")
	topic := waitTopic(t, e, g, 1, "c 0").MessageThreadID

	const rounds, per = 3, 5
	for r := 0; r < rounds; r++ {
		for i := 1; i <= per; i++ {
			e.tg.SendText(ada.ID, fmt.Sprintf("c %d", r*per+i))
			e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, fmt.Sprintf("a %d", r*per+i))
			time.Sleep(20 * time.Millisecond) // pacing: spread the traffic over the kill
		}
		if r == rounds-1 {
			break
		}
		pid := e.staffPluginPID()
		if pid == 0 {
			t.Fatalf("no telegramgroup plugin process\n%s", tail(e.Logs(), 30))
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if !waitUntil(30*time.Second, func() bool { p := e.staffPluginPID(); return p != 0 && p != pid }) {
			t.Fatalf("the plugin was not restarted\n%s", tail(e.Logs(), 40))
		}
	}
	last := fmt.Sprintf("a %d", rounds*per)
	if !waitUntil(60*time.Second, func() bool {
		for _, s := range e.tg.SentTo(ada.ID) {
			if s.Message.Text == last {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the last answer never reached the customer\n%s", tail(e.Logs(), 60))
	}
	waitTopic(t, e, g, 1, fmt.Sprintf("c %d", rounds*per))

	answers := map[string]int{}
	for _, s := range e.tg.SentTo(ada.ID) {
		answers[s.Message.Text]++
	}
	customer := map[string]int{}
	for _, s := range g.shown(topic) {
		customer[s]++
	}
	dups := 0
	for i := 0; i <= rounds*per; i++ {
		if i > 0 {
			if n := answers[fmt.Sprintf("a %d", i)]; n != 1 {
				t.Errorf("answer a %d reached the customer %d times", i, n)
			}
		}
		switch n := customer[fmt.Sprintf("c %d", i)]; {
		case n == 0:
			t.Errorf("customer message c %d never reached the topic", i)
		case n > 1:
			dups += n - 1
		}
	}
	// Delivery to a desk is at least once: a kill between Telegram's
	// answer and the plugin's may post that one message again.
	if dups > rounds-1 {
		t.Errorf("%d customer messages posted twice across %d kills", dups, rounds-1)
	}
	t.Logf("%d kills: %d customer messages posted twice", rounds-1, dups)
	if len(e.tg.Topics(g.group.ID)) != 1 {
		t.Errorf("topics %+v, want one", e.tg.Topics(g.group.ID))
	}
}

// /claim, /close and /reopen in a topic act on the conversation; the topic
// follows (closed, ✅ in its name, reopened), the customer's rating shows
// as 4/5, and after a close the customer's next message opens a new topic
// whose header names the previous conversation.
func TestTelegramGroupLifecycle(t *testing.T) {
	e, g := newGroupEnv(t, ratingTOML)
	e.start()
	ada := e.tg.AddUser(telego.User{FirstName: "Ada", LastName: "Lovelace", Username: "ada_l"})
	e.tg.SendText(ada.ID, "Refund please")
	topic := waitTopic(t, e, g, 1, "Refund please").MessageThreadID

	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/claim")
	waitTopic(t, e, g, 1, "👀 Claimed by Grace Hopper")
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/close@acme_staff_bot")
	waitTopic(t, e, g, 1, "✅ Closed by Grace Hopper")
	waitTopicState(t, e, g, 1, "✅ Ada Lovelace @ada_l #1", true)

	if !waitUntil(30*time.Second, func() bool { return len(e.ratingQuestions(ada.ID)) > 0 }) {
		t.Fatalf("no rating question\n%s", tail(e.Logs(), 40))
	}
	q := e.ratingQuestions(ada.ID)[0]
	_, data := keyboard(t, q)
	if _, err := e.tg.TapButton(ada.ID, q.Message.MessageID, ada.ID, data[3]); err != nil {
		t.Fatal(err)
	}
	waitTopic(t, e, g, 1, "⭐ Rating: 4/5")

	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/reopen")
	waitTopic(t, e, g, 1, "↩️ Reopened by Grace Hopper")
	waitTopicState(t, e, g, 1, "Ada Lovelace @ada_l #1", false)
	// A reopen gives the claim back: claim again, then let go.
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/claim")
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/unclaim")
	waitTopic(t, e, g, 1, "Unclaimed by Grace Hopper")
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/close")
	waitTopicState(t, e, g, 1, "✅ Ada Lovelace @ada_l #1", true)

	e.tg.SendText(ada.ID, "One more thing")
	next := waitTopic(t, e, g, 2, "One more thing")
	if next.Name != "Ada Lovelace @ada_l #2" {
		t.Errorf("the new topic is named %q", next.Name)
	}
	if h := g.inTopic(next.MessageThreadID)[0].Message.Text; !strings.Contains(h, "Previous conversation #1") {
		t.Errorf("the new header does not name the previous conversation:\n%s", h)
	}
	for _, s := range g.shown(topic) {
		if strings.Contains(s, "One more thing") {
			t.Error("the next conversation's message went into the closed topic")
		}
	}
	for _, s := range e.tg.SentTo(ada.ID) {
		if strings.HasPrefix(s.Message.Text, "/") {
			t.Errorf("a command reached the customer: %q", s.Message.Text)
		}
	}
}

// Webhook mode: the plugin registers /hooks/staff with its secret token
// and the fake Telegram posts the staff bot's updates there; an agent's
// answer reaches the customer once, a command acts, a forged post is
// refused.
func TestTelegramGroupWebhookMode(t *testing.T) {
	e, g := newGroupEnv(t, "", "webhook = true")
	e.start()
	if !waitUntil(20*time.Second, func() bool { return g.bot.WebhookURL() == e.public+"/hooks/staff" }) {
		t.Fatalf("webhook URL %q\n%s", g.bot.WebhookURL(), tail(e.Logs(), 30))
	}
	ada := e.tg.AddUser(telego.User{FirstName: "Ada"})
	e.tg.SendText(ada.ID, "Hello over the webhook")
	topic := waitTopic(t, e, g, 1, "Hello over the webhook").MessageThreadID
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "Hi Ada")
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "/claim")
	waitTopic(t, e, g, 1, "👀 Claimed by Grace Hopper")
	sent := waitSentTo(t, e, ada.ID, 1)
	if len(sent) != 1 || sent[0].Message.Text != "Hi Ada" {
		t.Errorf("Ada got %+v", sent)
	}

	forged := e.tg.NewTopicMessage(g.group.ID, topic, g.agent.ID)
	forged.Text = "forged"
	body, _ := json.Marshal(telego.Update{UpdateID: 999, Message: &forged})
	req, _ := http.NewRequest(http.MethodPost, e.public+"/hooks/staff", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "guessed")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a post without the secret token: %s, want 401", resp.Status)
	}
	// The sentinel: an answer after the forged post arrives, the forged one never.
	e.tg.PostInTopic(g.group.ID, topic, g.agent.ID, "sentinel")
	sent = waitSentTo(t, e, ada.ID, 2)
	for _, s := range sent {
		if s.Message.Text == "forged" {
			t.Error("the forged post reached the customer")
		}
	}
	assertNoSecrets(t, e, g.bot.Token())
}
