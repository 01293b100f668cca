package e2e

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// skewedClock is time.Now moved forward by what Advance added: the fake
// Telegram's clock, so a test can age the bot's messages past 48 hours.
type skewedClock struct{ skew atomic.Int64 }

func (c *skewedClock) Now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *skewedClock) Advance(d time.Duration) { c.skew.Add(int64(d)) }

// deskAction posts any action from the webhook desk.
func (e *env) deskAction(a webhookdesk.Action) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status, body, err := e.desk.PostAction(ctx, e.hookURL(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return status, body
}

// waitBotMessage waits for the bot's message with text in chat and
// returns its Telegram id.
func (e *env) waitBotMessage(chat int64, text string) int {
	e.t.Helper()
	var id int
	if !waitUntil(30*time.Second, func() bool {
		for _, s := range e.tg.SentTo(chat) {
			if s.Text == text {
				id = s.MessageID
				return true
			}
		}
		return false
	}) {
		e.t.Fatalf("the bot never sent %q\n%s", text, e.Logs())
	}
	return id
}

// waitReplyRecorded waits until the host has recorded the Telegram ids
// of the desk's reply id. Telegram shows a message before the host's
// sendMessage call returns and the host records its id; a customer could
// not react within those milliseconds, a test can, and a reaction on a
// message the host does not know yet is ignored.
func (e *env) waitReplyRecorded(id string) {
	e.t.Helper()
	if !waitUntil(30*time.Second, func() bool {
		for _, line := range strings.Split(e.Logs(), "\n") {
			if strings.Contains(line, "reply sent:") && strings.Contains(line, " reply="+id+" ") {
				return true
			}
		}
		return false
	}) {
		e.t.Fatalf("the host never recorded reply %s as sent\n%s", id, e.Logs())
	}
}

// waitDeleted waits until the host asked Telegram to delete message id.
func (e *env) waitDeleted(id int) {
	e.t.Helper()
	if !waitUntil(30*time.Second, func() bool {
		for _, r := range e.tg.Requests("deleteMessage") {
			if r.Params["message_id"] == itoa(int64(id)) {
				return true
			}
		}
		return false
	}) {
		e.t.Fatalf("message %d was not deleted\n%s", id, e.Logs())
	}
}

// waitReactions waits until the bot's reactions on a message are want.
func (e *env) waitReactions(chat int64, msg int, want ...string) {
	e.t.Helper()
	if !waitUntil(30*time.Second, func() bool { return slices.Equal(e.tg.Reactions(chat, msg), want) }) {
		e.t.Fatalf("the bot's reactions on message %d are %q, want %q\n%s", msg, e.tg.Reactions(chat, msg), want, e.Logs())
	}
}

// Reactions both ways through bin/parley, the webhook plugin and the fake
// Telegram: the first agent reply sets the seen reaction; a customer's
// reaction on the agent's reply reaches the desk as a notice (and its
// removal); an agent's react action sets and removes the bot's reaction;
// an emoji Telegram refuses comes back as reaction_failed; a reaction on
// an unknown message is refused with 422.
func TestReactionsBothWays(t *testing.T) {
	e := newEnv(t, "[conversations]\nseen_reaction = \"👀\"\n")
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", Username: "ann"})
	first := e.tg.SendText(ann.ID, "Where is my parcel?")
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	conv, hostMsg := e.desk.Received()[0].ConversationID, e.desk.Received()[0].Message.ID

	// The first reply sets the seen reaction on the customer's message;
	// a second reply does not set it again (there is nothing to compare
	// but the request count: the fake keeps one reaction per message).
	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: "r1", Text: "Let me check"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	e.waitReactions(ann.ID, first.MessageID, "👀")
	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: "r2", Text: "Found it"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	found := e.waitBotMessage(ann.ID, "Found it")
	e.waitReplyRecorded("r2")
	if n := len(e.tg.Requests("setMessageReaction")); n != 1 {
		t.Errorf("%d setMessageReaction calls after two replies, want the one seen reaction", n)
	}

	// The customer reacts to the agent's reply, then takes it back.
	if e.tg.React(ann.ID, found, ann.ID, "👍") == 0 {
		t.Fatal("the host did not ask Telegram for message_reaction updates")
	}
	got := e.waitNoticeCode("reaction", 1)
	if n := got.Message.Notice; n.Emoji != "👍" || n.Removed || n.ReplyID != "r2" || got.ConversationID != conv {
		t.Errorf("reaction notice %+v", n)
	}
	e.tg.React(ann.ID, found, ann.ID)
	if n := e.waitNoticeCode("reaction", 2).Message.Notice; n.Emoji != "👍" || !n.Removed || n.ReplyID != "r2" {
		t.Errorf("removal notice %+v", n)
	}

	// The agent reacts to the customer's message, then removes it.
	if status, body := e.deskAction(webhookdesk.Action{Kind: "react", ConversationID: conv, ID: "x1", MessageID: hostMsg, Emoji: webhookdesk.Emoji("🔥")}); status != http.StatusOK {
		t.Fatalf("react: %d %s", status, body)
	}
	e.waitReactions(ann.ID, first.MessageID, "🔥")
	if status, body := e.deskAction(webhookdesk.Action{Kind: "react", ConversationID: conv, ID: "x2", MessageID: hostMsg, Emoji: webhookdesk.Emoji("")}); status != http.StatusOK {
		t.Fatalf("remove: %d %s", status, body)
	}
	e.waitReactions(ann.ID, first.MessageID)

	// An emoji outside Telegram's set: not retried, and the desk is told.
	if status, body := e.deskAction(webhookdesk.Action{Kind: "react", ConversationID: conv, ID: "x3", MessageID: hostMsg, Emoji: webhookdesk.Emoji("🦆")}); status != http.StatusOK {
		t.Fatalf("react: %d %s", status, body)
	}
	failed := e.waitNoticeCode("reaction_failed", 1)
	if n := failed.Message.Notice; n.Emoji != "🦆" || n.ActionID != "x3" || n.SourceChannel != "desk" || !strings.Contains(failed.Message.Text, "🦆") {
		t.Errorf("reaction_failed notice %+v %q", n, failed.Message.Text)
	}
	// A message of no conversation: refused, nothing stored.
	if status, body := e.deskAction(webhookdesk.Action{Kind: "react", ConversationID: conv, ID: "x4", MessageID: "no-such-message", Emoji: webhookdesk.Emoji("👍")}); status != http.StatusUnprocessableEntity {
		t.Errorf("react on an unknown message: %d %s, want 422", status, body)
	}
}

// Deleting agent replies: inside Telegram's 48 hours the message goes;
// once the fake's clock has moved past them, the desk gets delete_failed;
// an unknown reply is refused with 422. Typing shows "typing…" at most
// every four seconds however often the desk reports it.
func TestDeleteAndTyping(t *testing.T) {
	clock := &skewedClock{}
	e := newEnvWith(t, envOptions{TelegramNow: clock.Now})
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", Username: "ann"})
	e.tg.SendText(ann.ID, "Hello")
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	conv := e.desk.Received()[0].ConversationID

	// Typing, reported five times at once: one chat action now, the next
	// four seconds later.
	for range 5 {
		if status, body := e.deskAction(webhookdesk.Action{Kind: "typing", ConversationID: conv}); status != http.StatusOK {
			t.Fatalf("typing: %d %s", status, body)
		}
	}
	var acts []telegramtest.ChatAction
	if !waitUntil(30*time.Second, func() bool { acts = e.tg.ChatActions(ann.ID); return len(acts) >= 2 }) {
		t.Fatalf("chat actions %+v, want typing kept up\n%s", acts, e.Logs())
	}
	if acts[0].Action != "typing" || acts[1].At.Sub(acts[0].At) < 3900*time.Millisecond {
		t.Errorf("chat actions %+v: want typing, at most one per 4 s", acts[:2])
	}

	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: "r1", Text: "Oops, wrong chat"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	oops := e.waitBotMessage(ann.ID, "Oops, wrong chat")
	if status, body := e.deskAction(webhookdesk.Action{Kind: "delete", ConversationID: conv, ID: "d1", ReplyID: "r1"}); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, body)
	}
	e.waitDeleted(oops)

	if status, body := e.reply(webhookdesk.Reply{ConversationID: conv, ID: "r2", Text: "Old news"}); status != http.StatusOK {
		t.Fatalf("reply: %d %s", status, body)
	}
	e.waitBotMessage(ann.ID, "Old news")
	clock.Advance(49 * time.Hour)
	if status, body := e.deskAction(webhookdesk.Action{Kind: "delete", ConversationID: conv, ID: "d2", ReplyID: "r2"}); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, body)
	}
	failed := e.waitNoticeCode("delete_failed", 1)
	if n := failed.Message.Notice; n.ReplyID != "r2" || n.ActionID != "d2" || !strings.Contains(failed.Message.Text, "deleted") {
		t.Errorf("delete_failed notice %+v %q", n, failed.Message.Text)
	}
	if n := len(e.desk.Notices("delete_failed")); n != 1 {
		t.Errorf("%d delete_failed notices, want only the old reply's", n)
	}
	if status, body := e.deskAction(webhookdesk.Action{Kind: "delete", ConversationID: conv, ID: "d3", ReplyID: "never-sent"}); status != http.StatusUnprocessableEntity {
		t.Errorf("deleting an unknown reply: %d %s, want 422", status, body)
	}
}

// A customer's profile photo reaches the desk as contact.photo_url, a
// signed host link that serves the image without the bot token; a
// customer whose privacy settings hide it has none.
func TestCustomerAvatar(t *testing.T) {
	e := newEnv(t, "")
	e.start()
	photo := pngImage(t, 200, 200)
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", Username: "ann"})
	e.tg.SetProfilePhotos(ann.ID, photo)
	bob := e.tg.AddUser(telego.User{FirstName: "Bob", Username: "bob"})
	e.tg.SetProfilePhotos(bob.ID, photo)
	e.tg.HideProfilePhotos(bob.ID)

	// The photo is looked up once, off the message path: the first
	// delivery may come before it; a later one carries it.
	var url string
	for i := 0; url == "" && i < 20; i++ {
		text := "ann " + strconv.Itoa(i)
		e.tg.SendText(ann.ID, text)
		if !e.desk.WaitFor(30*time.Second, func(ds []webhookdesk.Delivery) bool { return deliveredText(ds, text) != nil }) {
			t.Fatalf("%q never arrived\n%s", text, e.Logs())
		}
		url = deliveredText(e.desk.Received(), text).Contact.PhotoURL
		if url == "" {
			waitUntil(2*time.Second, func() bool { return len(e.tg.Requests("getUserProfilePhotos")) > 0 })
		}
	}
	e.assertPhotoLink("photo_url", url, photo)
	if n := countUser(e.tg.Requests("getUserProfilePhotos"), ann.ID); n != 1 {
		t.Errorf("%d getUserProfilePhotos calls for Ann, want one per conversation", n)
	}

	// Bob hides his photo: once Telegram was asked, no delivery has one.
	e.tg.SendText(bob.ID, "bob 1")
	if !waitUntil(30*time.Second, func() bool { return countUser(e.tg.Requests("getUserProfilePhotos"), bob.ID) == 1 }) {
		t.Fatalf("Bob's photo was never looked up\n%s", e.Logs())
	}
	e.tg.SendText(bob.ID, "bob 2")
	if !e.desk.WaitFor(30*time.Second, func(ds []webhookdesk.Delivery) bool { return deliveredText(ds, "bob 2") != nil }) {
		t.Fatalf("bob's messages never arrived\n%s", e.Logs())
	}
	for _, d := range e.desk.Received() {
		if strings.HasPrefix(d.Message.Text, "bob") && d.Contact.PhotoURL != "" {
			t.Errorf("Bob's %q came with photo_url %q, want none", d.Message.Text, d.Contact.PhotoURL)
		}
	}
}

// assertPhotoLink checks that what (a desk's photo field) is the host's
// signed link, free of the bot token, and that it serves photo's bytes.
func (e *env) assertPhotoLink(what, url string, photo []byte) {
	e.t.Helper()
	if !strings.HasPrefix(url, e.public+"/files/") || strings.Contains(url, e.tg.Token()) {
		e.t.Fatalf("%s %q, want a signed host link", what, url)
	}
	resp, err := http.Get(url)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != string(photo) {
		e.t.Errorf("the %s link answered %d with %d bytes, want the photo's %d", what, resp.StatusCode, len(body), len(photo))
	}
}

func deliveredText(ds []webhookdesk.Delivery, text string) *webhookdesk.Delivery {
	for i := range ds {
		if ds[i].Message.Text == text {
			return &ds[i]
		}
	}
	return nil
}

func countUser(rs []telegramtest.Request, user int64) int {
	n := 0
	for _, r := range rs {
		if r.Params["user_id"] == itoa(user) {
			n++
		}
	}
	return n
}
