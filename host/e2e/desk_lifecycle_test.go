package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
)

// reopenNever makes the customer's next message after a close start a new
// conversation at once (the default reopens within an hour).
const reopenNever = "[conversations]\nreopen_within = \"0s\"\n"

// deskTable is the webhook desk's [channels.desk] table, for worlds that
// route conversations to it besides another desk.
func deskTable(e *env) string {
	return fmt.Sprintf(`
[channels.desk]
plugin = "webhook"
[channels.desk.config]
url = %q
secret = "${E2E_DESK_SECRET}"
timeout = "5s"
`, e.desk.URL())
}

// action sends a signed lifecycle action from the webhook desk.
func (e *env) action(kind, conv, id, agent string) (int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status, body, err := e.desk.SendAction(ctx, e.hookURL(), kind, conv, id, agent)
	if err != nil {
		e.t.Fatal(err)
	}
	return status, body
}

// waitNoticeCode waits for the desk's n-th notice with code and returns it.
func (e *env) waitNoticeCode(code string, n int) webhookdesk.Delivery {
	e.t.Helper()
	if !waitUntil(30*time.Second, func() bool { return len(e.desk.Notices(code)) >= n }) {
		e.t.Fatalf("the desk got %d %s notices, want %d: %+v\n%s", len(e.desk.Notices(code)), code, n, e.desk.Notices(""), e.Logs())
	}
	return e.desk.Notices(code)[n-1]
}

func noticeCodes(ds []webhookdesk.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.NoticeCode())
	}
	return out
}

// An agent claims and closes through the webhook desk's signed actions;
// the notices that come back carry the code, the agent, the state and the
// desk's own action id; a retried action is applied once, a close of a
// closed conversation is explained, bad actions are refused, and the
// customer's next message is a new conversation naming the previous one.
func TestWebhookDeskActions(t *testing.T) {
	e := newEnv(t, reopenNever)
	e.start()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee"})
	e.tg.SendText(ann.ID, "My parcel is lost")
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	first := e.desk.Received()[0]
	conv, num := first.ConversationID, first.Conversation.Number
	if first.Conversation.State != "open" || num <= 0 {
		t.Fatalf("first delivery's conversation %+v, want open with a number", first.Conversation)
	}

	if status, body := e.action("claim", conv, "act-1", "Grace Hopper"); status != http.StatusOK {
		t.Fatalf("claim: %d %s", status, body)
	}
	claimed := e.waitNoticeCode("conversation_claimed", 1)
	n := claimed.Message.Notice
	if n.AgentName() != "Grace Hopper" || n.State != "claimed" || n.SourceChannel != "desk" || n.ActionID != "act-1" ||
		claimed.Conversation.State != "claimed" || claimed.Conversation.ClaimedBy != "Grace Hopper" || claimed.ConversationID != conv {
		t.Errorf("claimed notice %+v in %+v", n, claimed.Conversation)
	}
	// The desk retries the claim: stored once.
	if status, body := e.action("claim", conv, "act-1", "Grace Hopper"); status != http.StatusOK {
		t.Fatalf("retried claim: %d %s", status, body)
	}
	if status, body := e.action("close", conv, "act-2", "Grace Hopper"); status != http.StatusOK {
		t.Fatalf("close: %d %s", status, body)
	}
	closed := e.waitNoticeCode("conversation_closed", 1)
	if n := closed.Message.Notice; n.AgentName() != "Grace Hopper" || n.Reason != "agent" || n.State != "closed" || n.ActionID != "act-2" {
		t.Errorf("closed notice %+v", n)
	}
	// The close came after the retry in the conversation's lane: the retry
	// added no notice.
	if got := noticeCodes(e.desk.Notices("")); !slices.Equal(got, []string{"conversation_claimed", "conversation_closed"}) {
		t.Errorf("notices %v, want one claim and one close", got)
	}

	if status, body := e.action("close", conv, "act-3", "Ada"); status != http.StatusOK {
		t.Fatalf("second close: %d %s", status, body)
	}
	ignored := e.waitNoticeCode("action_ignored", 1)
	if n := ignored.Message.Notice; n.ActionID != "act-3" || !strings.Contains(ignored.Message.Text, "closed") {
		t.Errorf("ignored notice %+v: %q", n, ignored.Message.Text)
	}

	if status, body := e.action("archive", conv, "act-4", "Ada"); status != http.StatusBadRequest || !strings.Contains(body, `unknown \"action\"`) && !strings.Contains(body, `unknown "action"`) {
		t.Errorf("unknown action: %d %s, want 400 naming the action", status, body)
	}
	if status, body := e.action("close", "no-such-conversation", "act-5", "Ada"); status != http.StatusUnprocessableEntity {
		t.Errorf("unknown conversation: %d %s, want 422", status, body)
	}

	e.tg.SendText(ann.ID, "Another question")
	var next webhookdesk.Delivery
	if !e.desk.WaitFor(30*time.Second, func(ds []webhookdesk.Delivery) bool {
		for _, d := range ds {
			if d.Message.Text == "Another question" {
				next = d
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the next message did not arrive\n%s", e.Logs())
	}
	p := next.Conversation.Previous
	if next.ConversationID == conv || next.Conversation.Number == num || p == nil || p.ID != conv || p.Number != num || p.ThreadRef != conv {
		t.Errorf("next message in %+v (previous %+v), want a new conversation naming %s #%d", next.Conversation, p, conv, num)
	}
}

// Help Scout's status and assignment webhooks claim and close the
// conversation for every desk; a close and reopen from another desk set
// Help Scout's status; neither side's echo of its own change goes round
// again; after a close, the next message is a new Help Scout conversation
// linking the previous one.
func TestHelpScoutStatusBothWays(t *testing.T) {
	e, fake := newHelpScoutEnv(t)
	e.opts.Channels += deskTable(e)
	e.extraTOML = reopenNever
	e.writeConfig()
	e.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee"})
	e.tg.SendText(ann.ID, "Where is my parcel?")
	hs := waitCustomerThreads(t, e, fake, 1)[0]
	if !e.desk.WaitCount(1, 30*time.Second) {
		t.Fatalf("desk received nothing\n%s", e.Logs())
	}
	conv := e.desk.Received()[0].ConversationID

	grace := &helpscoutfake.User{ID: 21, First: "Grace", Last: "Hopper"}
	if res, err := fake.Assign(ctx, hs.ID, grace); err != nil || res.Status != http.StatusOK {
		t.Fatalf("convo.assigned answered %d %s, %v", res.Status, res.Body, err)
	}
	if n := e.waitNoticeCode("conversation_claimed", 1).Message.Notice; n.AgentName() != "Grace Hopper" || n.SourceChannel != "helpscout" {
		t.Errorf("claimed notice %+v", n)
	}
	if res, err := fake.ChangeStatus(ctx, hs.ID, "closed", grace); err != nil || res.Status != http.StatusOK {
		t.Fatalf("convo.status answered %d %s, %v", res.Status, res.Body, err)
	}
	if n := e.waitNoticeCode("conversation_closed", 1).Message.Notice; n.AgentName() != "Grace Hopper" || n.SourceChannel != "helpscout" {
		t.Errorf("closed notice %+v", n)
	}

	// Another desk reopens: Help Scout's conversation is active again. The
	// Help Scout lane delivered the echo of its own close first, and that
	// set no status: the reopen is the only change.
	if status, body := e.action("reopen", conv, "act-1", "Ada"); status != http.StatusOK {
		t.Fatalf("reopen: %d %s", status, body)
	}
	waitHS := func(what string, cond func(helpscoutfake.Conversation) bool) helpscoutfake.Conversation {
		t.Helper()
		var c helpscoutfake.Conversation
		if !waitUntil(30*time.Second, func() bool { c, _ = fake.Conversation(hs.ID); return cond(c) }) {
			t.Fatalf("Help Scout conversation never %s: status %s, changes %v\n%s", what, c.Status, c.StatusChanges, e.Logs())
		}
		return c
	}
	c := waitHS("reopened", func(c helpscoutfake.Conversation) bool { return c.Status == "active" && len(c.StatusChanges) > 0 })
	if !slices.Equal(c.StatusChanges, []string{"active"}) {
		t.Errorf("status changes %v, want only the reopen (the own close echo sets nothing)", c.StatusChanges)
	}
	if status, body := e.action("close", conv, "act-2", "Ada"); status != http.StatusOK {
		t.Fatalf("close: %d %s", status, body)
	}
	// The status is set first, then a note says who closed it.
	c = waitHS("closed again with a note", func(c helpscoutfake.Conversation) bool {
		for _, th := range c.Threads {
			if th.Type == "note" && strings.Contains(th.Text, "Ada closed conversation") {
				return true
			}
		}
		return false
	})
	if c.Status != "closed" || !slices.Equal(c.StatusChanges, []string{"active", "closed"}) {
		t.Errorf("status %s after changes %v, want closed", c.Status, c.StatusChanges)
	}
	// Help Scout's event about that PATCH is not an agent's action.
	if res, err := fake.SendEvent(ctx, "convo.status", hs.ID); err != nil || res.Status != http.StatusOK || !strings.HasPrefix(string(res.Body), "ignored") {
		t.Errorf("the echo of the PATCH answered %d %s, %v; want 200 ignored", res.Status, res.Body, err)
	}

	e.tg.SendText(ann.ID, "A new question")
	convs := waitCustomerThreads(t, e, fake, 2)
	if len(convs) != 2 {
		t.Fatalf("%d Help Scout conversations, want a new one", len(convs))
	}
	fresh := convs[1]
	link := "conversation/" + strconv.FormatInt(hs.ID, 10)
	linked := false
	if !waitUntil(10*time.Second, func() bool {
		fresh, _ = fake.Conversation(fresh.ID)
		for _, th := range fresh.Threads {
			linked = linked || th.Type == "note" && strings.Contains(th.Text, link)
		}
		return linked
	}) {
		t.Errorf("the new conversation %d does not link %d: %+v", fresh.ID, hs.ID, fresh.Threads)
	}
	if got := noticeCodes(e.desk.Notices("")); slices.Contains(got, "action_ignored") {
		t.Errorf("desk notices %v: an echo went round as an action", got)
	}
}

// HipChat agents claim and close with "#N /claim" and "#N /close"; the room
// shows each change as a grey line, explains a close of a closed
// conversation, and names the previous handle on the customer's next
// conversation.
func TestHipChatCommands(t *testing.T) {
	e, fake := newHipChatEnv(t)
	e.extraTOML = reopenNever
	e.writeConfig()
	e.start()
	room := fake.RoomID()
	if !waitUntil(30*time.Second, func() bool { return len(fake.Webhooks(room)) == 1 }) {
		t.Fatalf("the plugin registered %d webhooks, want 1\n%s", len(fake.Webhooks(room)), e.Logs())
	}
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LastName: "Lee", Username: "annlee"})
	e.tg.SendText(ann.ID, "My order is late")
	var byHandle map[int64]hipchatfake.HistoryItem
	if !waitUntil(30*time.Second, func() bool { byHandle = customerNotifications(fake); return len(byHandle) == 1 }) {
		t.Fatalf("room has %d customer notifications, want 1\n%s", len(byHandle), e.Logs())
	}
	var num int64
	for n := range byHandle {
		num = n
	}
	handle := "#" + strconv.FormatInt(num, 10)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	say := func(text string) {
		t.Helper()
		_, ds, err := fake.SendRoomMessage(ctx, room, hipchatfake.Message{Text: text})
		if err != nil || len(ds) != 1 || ds[0].Status/100 != 2 {
			t.Fatalf("%q: deliveries %+v, %v", text, ds, err)
		}
	}
	waitLine := func(want string) {
		t.Helper()
		if !waitUntil(30*time.Second, func() bool {
			for _, n := range fake.Notifications(room) {
				if n.Message == want && n.Color == "gray" {
					return true
				}
			}
			return false
		}) {
			t.Fatalf("room never showed %q: %+v\n%s", want, fake.Notifications(room), e.Logs())
		}
	}
	say(handle + " /claim")
	waitLine("<b>" + handle + "</b> claimed by Anna Agent")
	say("#999 /close")
	if !waitUntil(30*time.Second, func() bool {
		for _, n := range fake.Notifications(room) {
			if n.Color == "red" && strings.Contains(n.Message, "No Telegram conversation #999 here to close") {
				return true
			}
		}
		return false
	}) {
		t.Errorf("no red answer to a command for an unknown handle: %+v", fake.Notifications(room))
	}
	say(handle + " /close")
	waitLine("<b>" + handle + "</b> closed by Anna Agent")
	say(handle + " /close")
	waitLine(fmt.Sprintf("<b>%s</b> Anna Agent could not close conversation %s: it is closed.", handle, handle))

	e.tg.SendText(ann.ID, "One more thing")
	var next int64
	if !waitUntil(30*time.Second, func() bool {
		for n, item := range customerNotifications(fake) {
			if n != num && strings.Contains(item.Message, "One more thing") {
				next = n
				return strings.Contains(item.Message, "<i>(follows "+handle+")</i>")
			}
		}
		return false
	}) {
		t.Fatalf("no new handle following %s (new %d): %+v\n%s", handle, next, fake.Notifications(room), e.Logs())
	}
	say("#" + strconv.FormatInt(next, 10) + " /claim")
	waitLine("<b>#" + strconv.FormatInt(next, 10) + "</b> claimed by Anna Agent")
}
