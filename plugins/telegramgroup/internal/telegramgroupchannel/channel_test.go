package telegramgroupchannel_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestConfigureReportsEachProblemOnItsKey(t *testing.T) {
	no := false
	cases := []struct {
		name string
		o    envOptions
		cfg  map[string]any
		keys []string
		want string
	}{
		{"not a forum", envOptions{forum: &no}, nil, []string{"group_id"}, "Topics"},
		{"no manage topics", envOptions{rights: &telegramtest.AdminRights{CanDeleteMessages: true}}, nil, []string{"bot_token"}, "Manage topics"},
		{"group the bot is not in", envOptions{}, map[string]any{"group_id": -1009999999999}, []string{"group_id"}, "add the bot"},
		{"malformed", envOptions{}, map[string]any{"bot_token": "nope", "group_id": 12, "upload_files": "maybe"},
			[]string{"bot_token", "group_id", "upload_files"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.o)
			resp := e.configure(t, tc.cfg)
			plugintest.AssertConfigErrors(t, resp, tc.keys...)
			for _, ce := range resp.Errors {
				if !strings.Contains(ce.Message, tc.want) {
					t.Errorf("%s: %q lacks %q", ce.Key, ce.Message, tc.want)
				}
				plugintest.AssertNoSecret(t, ce.Message, e.staff.Token())
			}
		})
	}
	t.Run("revoked token", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		e.staff.RevokeToken()
		plugintest.AssertConfigErrors(t, e.configure(t, nil), "bot_token")
	})
	t.Run("a plain member", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		bot := e.tg.AddBot(telegramtest.BotOptions{Bot: telego.User{Username: "member_bot"}})
		e.tg.AddSupergroup(telegramtest.SupergroupOptions{ID: -1005550001, Forum: true, Members: []int64{bot.User().ID}})
		plugintest.AssertConfigErrors(t, e.configure(t, map[string]any{"bot_token": bot.Token(), "group_id": -1005550001}), "bot_token")
	})
}

// The first message opens a topic named after the customer whose first
// message is the header; the message follows, formatted, and the next one
// lands in the same topic.
func TestFirstMessageOpensTopicWithHeader(t *testing.T) {
	e := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e.configure(t, nil))
	text := sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "My order is late", Entities: []sdk.Entity{{Type: "bold", Offset: 3, Length: 5}}}
	resp, err := e.deliver(t, text, nil)
	ref := plugintest.AssertDelivered(t, resp, err)
	topics := e.tg.Topics(e.group.ID)
	if len(topics) != 1 || topics[0].Name != "Ada Lovelace @ada_l #42" {
		t.Fatalf("topics %+v, want one named \"Ada Lovelace @ada_l #42\"", topics)
	}
	topic := topics[0].MessageThreadID
	if string(ref) != strconv.FormatInt(e.group.ID, 10)+":"+strconv.Itoa(topic) {
		t.Errorf("thread ref %q", ref)
	}
	msgs := e.topicMessages(topic)
	if len(msgs) != 2 {
		t.Fatalf("topic holds %d messages, want header and text: %+v", len(msgs), msgs)
	}
	for _, want := range []string{"Ada Lovelace", "@ada_l", "Language: en", "4242", "ref_spring", "#42", "Bot: shop"} {
		if !strings.Contains(msgs[0].Message.Text, want) {
			t.Errorf("header lacks %q:\n%s", want, msgs[0].Message.Text)
		}
	}
	if msgs[1].Text != "My <b>order</b> is late" || resp.DeskMessageID != strconv.Itoa(msgs[1].MessageID) {
		t.Errorf("message sent as %q (desk id %s, message %d)", msgs[1].Text, resp.DeskMessageID, msgs[1].MessageID)
	}
	resp, err = e.deliver(t, sdk.Message{ID: "m2", Kind: sdk.KindText, Text: "Hello?"}, ref)
	if again := plugintest.AssertDelivered(t, resp, err); string(again) != string(ref) || len(e.tg.Topics(e.group.ID)) != 1 {
		t.Errorf("second message moved to %q; topics %+v", again, e.tg.Topics(e.group.ID))
	}
}

// A photo is uploaded into the topic with its caption; with upload_files
// off it is a link, and a too-large file is an alert either way.
func TestFiles(t *testing.T) {
	e := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e.configure(t, nil))
	e.host.files["photo-1"] = []byte("\x89PNG fake photo bytes")
	photo := sdk.Message{ID: "p1", Kind: sdk.KindPhoto, Text: "the box", Attachments: []sdk.Attachment{
		{Kind: "photo", FileRef: "photo-1", Size: 21, URL: "https://parley.example/files/signed"}}}
	resp, err := e.deliver(t, photo, nil)
	ref := plugintest.AssertDelivered(t, resp, err)
	topic := e.tg.Topics(e.group.ID)[0].MessageThreadID
	msgs := e.topicMessages(topic)
	last := msgs[len(msgs)-1]
	if last.Method != "sendPhoto" || last.Caption != "the box" || len(last.Files) != 1 || string(last.Files[0].Data) != "\x89PNG fake photo bytes" {
		t.Errorf("photo sent as %s caption %q files %+v", last.Method, last.Caption, last.Files)
	}

	// A file the host cannot serve is still shown, as its link.
	gone := sdk.Message{ID: "p3", Kind: sdk.KindDocument, Text: "the invoice", Attachments: []sdk.Attachment{
		{Kind: "document", Name: "invoice.pdf", FileRef: "gone", URL: "https://parley.example/files/invoice"}}}
	mustDeliver(t, e, gone, ref)
	msgs = e.topicMessages(topic)
	if l := msgs[len(msgs)-1]; !strings.Contains(l.Text, "the invoice") || !strings.Contains(l.Text, "invoice.pdf") {
		t.Errorf("a file the host could not serve went as %s %q", l.Method, l.Text)
	}

	big := sdk.Message{ID: "p2", Kind: sdk.KindDocument, Text: "Document: backup.zip", Attachments: []sdk.Attachment{
		{Kind: "document", Name: "backup.zip", Size: 25 << 20, TooLarge: true, FileRef: "big"}}}
	mustDeliver(t, e, big, ref)
	msgs = e.topicMessages(topic)
	if txt := msgs[len(msgs)-1].Message.Text; !strings.Contains(txt, "backup.zip") || !strings.Contains(txt, "too large") {
		t.Errorf("too-large file shown as %q", txt)
	}

	plugintest.AssertConfigured(t, e.configure(t, map[string]any{"upload_files": false}))
	mustDeliver(t, e, photo, ref)
	msgs = e.topicMessages(topic)
	if l := msgs[len(msgs)-1]; l.Method != "sendMessage" || !strings.Contains(l.Text, `href="https://parley.example/files/signed"`) {
		t.Errorf("with upload_files off the photo went as %s %q", l.Method, l.Text)
	}
}

// Telegram's 429 before anything was posted goes back to the host with its
// wait; after the topic exists the delivery waits it out itself, so the
// retry never opens a second topic.
func TestRateLimits(t *testing.T) {
	e := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e.configure(t, nil))
	e.staff.TooManyRequests("createForumTopic", 1, 7)
	_, err := e.deliver(t, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}, nil)
	plugintest.AssertRetryAfter(t, err, 7*time.Second)
	if n := len(e.tg.Topics(e.group.ID)); n != 0 {
		t.Fatalf("%d topics after a refused create", n)
	}

	e2 := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e2.configure(t, nil))
	e2.staff.TooManyRequests("sendMessage", 2, 1)
	resp, err := e2.deliver(t, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}, nil)
	plugintest.AssertDelivered(t, resp, err)
	topics := e2.tg.Topics(e2.group.ID)
	if len(topics) != 1 || len(e2.topicMessages(topics[0].MessageThreadID)) != 2 {
		t.Fatalf("topics %+v, messages %+v", topics, e2.staff.SentTo(e2.group.ID))
	}

	// A 429 too long to wait inside the call after the topic exists: the
	// host's retry reuses the topic and posts the header once.
	e3 := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e3.configure(t, nil))
	e3.staff.TooManyRequests("sendMessage", 1, 60)
	ctx, cancel := contextWithTimeout(t, 2*time.Second)
	_, err = e3.ch.Deliver(ctx, sdk.DeliverRequest{Conversation: conv(), Contact: ada(), Message: sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}})
	cancel()
	if err == nil {
		t.Fatal("delivered through a 60 s rate limit in a 2 s call")
	}
	// The host's retry, still inside Telegram's wait, goes back with the
	// rest of the wait and opens no second topic.
	_, err = e3.deliver(t, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}, nil)
	plugintest.AssertRetryAfter(t, err, 50*time.Second)
	if n := len(e3.tg.Topics(e3.group.ID)); n != 1 {
		t.Errorf("%d topics after a retried first delivery, want 1", n)
	}
}

// The channel keeps to Telegram's 20 messages a minute in the group by
// itself: the 21st message goes back to the host with the rest of the
// minute to wait, and Telegram never has to answer 429.
func TestGroupWindow(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, envOptions{fake: telegramtest.Options{GroupRateLimit: 20}, now: clk.Now})
	plugintest.AssertConfigured(t, e.configure(t, nil))
	ref := mustDeliver(t, e, sdk.Message{ID: "m0", Kind: sdk.KindText, Text: "hi"}, nil) // the header and the text
	for i := 1; i <= 18; i++ {
		clk.Advance(time.Second)
		mustDeliver(t, e, sdk.Message{ID: fmt.Sprint("m", i), Kind: sdk.KindText, Text: fmt.Sprint("msg ", i)}, ref)
	}
	clk.Advance(time.Second)
	_, err := e.deliver(t, sdk.Message{ID: "m19", Kind: sdk.KindText, Text: "msg 19"}, ref)
	plugintest.AssertRetryAfter(t, err, 40*time.Second)
	if n := e.staff.Served429(); n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
	clk.Advance(41 * time.Second) // the header and the first text leave the minute
	mustDeliver(t, e, sdk.Message{ID: "m19", Kind: sdk.KindText, Text: "msg 19"}, ref)
	if n := len(e.topicMessages(e.tg.Topics(e.group.ID)[0].MessageThreadID)); n != 21 {
		t.Errorf("the topic holds %d messages, want 21", n)
	}
}

// An agent's message in the topic is a reply with its formatting and
// files; notes, commands, other topics and edits are read as they should.
func TestInbound(t *testing.T) {
	e := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e.configure(t, nil))
	resp, err := e.deliver(t, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}, nil)
	ref := plugintest.AssertDelivered(t, resp, err)
	e.host.know(ref)
	topic := e.tg.Topics(e.group.ID)[0].MessageThreadID

	e.tg.PostInTopic(e.group.ID, topic, e.agent.ID, "// check the warehouse first")
	m := e.tg.NewTopicMessage(e.group.ID, topic, e.agent.ID)
	m.Text = "Ships today"
	m.Entities = []telego.MessageEntity{{Type: "bold", Offset: 6, Length: 5}}
	e.tg.PushGroupMessage(m)
	waitReplies(t, e.host, 1)
	e.tg.PostInTopic(e.group.ID, topic, e.agent.ID, "/claim")

	id, unique := e.tg.AddFile([]byte("photo bytes"), "", "image/jpeg")
	p := e.tg.NewTopicMessage(e.group.ID, topic, e.agent.ID)
	p.Photo = []telego.PhotoSize{{FileID: id, FileUniqueID: unique, Width: 90, Height: 90, FileSize: 11}}
	p.Caption = "Your label"
	e.tg.PushGroupMessage(p)

	edit := m
	edit.Text = "Ships tomorrow"
	edit.Entities = nil
	e.tg.PushGroupEdit(edit)
	rs := waitReplies(t, e.host, 3)

	if rs[0].Text != "Ships <b>today</b>" || rs[0].Format != sdk.FormatTelegramHTML || rs[0].Author != "Grace Hopper" ||
		rs[0].ExternalID != strconv.Itoa(m.MessageID) || string(rs[0].ThreadRef) != string(ref) {
		t.Errorf("reply %+v", rs[0])
	}
	if rs[1].Text != "Your label" || len(rs[1].Attachments) != 1 {
		t.Fatalf("photo reply %+v", rs[1])
	}
	rc, _, err := e.ch.OpenAttachment(t.Context(), rs[1].Attachments[0].Ref)
	if err != nil {
		t.Fatalf("OpenAttachment: %v", err)
	}
	b := make([]byte, 64)
	n, _ := rc.Read(b)
	rc.Close()
	if string(b[:n]) != "photo bytes" {
		t.Errorf("attachment streamed %q", b[:n])
	}
	if _, _, err := e.ch.OpenAttachment(t.Context(), id+".forged"); !sdk.IsPermanent(err) {
		t.Errorf("a forged ref was not refused for good: %v", err)
	}
	if rs[2].EditOf != rs[0].ExternalID || rs[2].Text != "Ships tomorrow" || rs[2].ExternalID == rs[0].ExternalID {
		t.Errorf("edit reply %+v", rs[2])
	}
	for _, r := range rs {
		if strings.Contains(r.Text, "warehouse") {
			t.Errorf("the internal note reached the customer: %+v", r)
		}
	}
	acts := e.host.Actions()
	if len(acts) != 1 || acts[0].Kind != sdk.ActionClaim || acts[0].Agent != "Grace Hopper" || string(acts[0].ThreadRef) != string(ref) {
		t.Errorf("actions %+v, want Grace's claim", acts)
	}
}

// An update the host could not store is asked for again and stored once.
func TestUpdateRetriedUntilStored(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.host.fail = 2
	plugintest.AssertConfigured(t, e.configure(t, nil))
	ref := mustDeliver(t, e, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}, nil)
	e.host.know(ref)
	topic := e.tg.Topics(e.group.ID)[0].MessageThreadID
	e.tg.PostInTopic(e.group.ID, topic, e.agent.ID, "first")
	e.tg.PostInTopic(e.group.ID, topic, e.agent.ID, "second")
	rs := waitReplies(t, e.host, 2)
	if rs[0].Text != "first" || rs[1].Text != "second" {
		t.Errorf("replies %+v", rs)
	}
}

// Closing closes the topic and marks its name; a rating shows as N/5;
// reopening undoes the close.
func TestLifecycleNotices(t *testing.T) {
	e := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e.configure(t, nil))
	ref := mustDeliver(t, e, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}, nil)
	notice := func(id string, n sdk.Notice) {
		t.Helper()
		mustDeliver(t, e, sdk.Message{ID: id, Kind: sdk.KindNotice, Text: n.Text, Notice: &n}, ref)
	}
	notice("n1", sdk.Notice{Code: sdk.NoticeConversationClaimed, Agent: "Grace Hopper", Text: "Grace Hopper claimed #42."})
	notice("n2", sdk.Notice{Code: sdk.NoticeConversationClosed, Agent: "Grace Hopper", Reason: sdk.CloseByAgent, Text: "closed"})
	topic := e.tg.Topics(e.group.ID)[0]
	if !topic.Closed || topic.Name != "✅ Ada Lovelace @ada_l #42" {
		t.Errorf("after the close the topic is %+v", topic)
	}
	notice("n2", sdk.Notice{Code: sdk.NoticeConversationClosed, Agent: "Grace Hopper", Reason: sdk.CloseByAgent, Text: "closed"}) // a retry
	notice("n3", sdk.Notice{Code: sdk.NoticeRating, Score: 4, Scale: 5, Text: "The customer rated 4 of 5."})
	notice("n4", sdk.Notice{Code: sdk.NoticeConversationReopened, Agent: "Alan", Text: "reopened"})
	topic = e.tg.Topics(e.group.ID)[0]
	if topic.Closed || topic.Name != "Ada Lovelace @ada_l #42" {
		t.Errorf("after the reopen the topic is %+v", topic)
	}
	var lines []string
	for _, s := range e.topicMessages(topic.MessageThreadID)[2:] {
		lines = append(lines, s.Message.Text)
	}
	want := []string{"👀 Claimed by Grace Hopper", "✅ Closed by Grace Hopper", "✅ Closed by Grace Hopper", "⭐ Rating: 4/5", "↩️ Reopened by Alan"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("topic lines %q, want %q", lines, want)
	}
}

// Webhook mode registers the hook with a secret derived from the token.
func TestWebhookMode(t *testing.T) {
	e := newEnv(t, envOptions{})
	plugintest.AssertConfigured(t, e.configure(t, map[string]any{"webhook": true}))
	if u := e.staff.WebhookURL(); u != "http://127.0.0.1:1/hooks/staff" {
		t.Errorf("webhook URL %q", u)
	}
	reqs := e.staff.Requests("setWebhook")
	if len(reqs) != 1 || reqs[0].Params["secret_token"] == "" || strings.Contains(reqs[0].Params["secret_token"], e.staff.Token()) {
		t.Errorf("setWebhook %+v", reqs)
	}
	var allowed []string
	_ = json.Unmarshal([]byte(reqs[0].Params["allowed_updates"]), &allowed)
	if strings.Join(allowed, ",") != "message,edited_message" {
		t.Errorf("allowed_updates %q", reqs[0].Params["allowed_updates"])
	}
}
