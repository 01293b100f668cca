package telegramtest_test

import (
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// staffSetup is one fake serving a customer-facing bot and a staff bot that administers a forum
// supergroup with an agent in it.
type staffSetup struct {
	s        *telegramtest.Server
	staffBot *telegramtest.Bot
	staff    *telego.Bot
	customer *telego.Bot
	group    telego.Chat
	agent    telego.User
	clock    *fakeClock
}

func newStaff(t *testing.T, opts telegramtest.Options, rights telegramtest.AdminRights) staffSetup {
	t.Helper()
	clock := newClock()
	opts.Now = clock.Now
	s := start(t, opts)
	sb := s.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Staff", Username: "staff_bot"}})
	agent := s.RegisterUser(telego.User{FirstName: "Grace", Username: "grace"})
	group := s.AddSupergroup(telegramtest.SupergroupOptions{Title: "Support team", Forum: true, Owner: agent.ID,
		Admins: map[int64]telegramtest.AdminRights{sb.User().ID: rights}})
	return staffSetup{s: s, staffBot: sb, staff: bot(t, s, sb.Token()), customer: bot(t, s, ""), group: group, agent: agent, clock: clock}
}

func TestForumTopics(t *testing.T) {
	st := newStaff(t, telegramtest.Options{}, telegramtest.AdminRights{CanManageTopics: true})
	ctx := t.Context()

	full, err := st.staff.GetChat(ctx, &telego.GetChatParams{ChatID: tu.ID(st.group.ID)})
	if err != nil || !full.IsForum || full.Type != telego.ChatTypeSupergroup || full.Title != "Support team" {
		t.Fatalf("getChat = %+v, %v", full, err)
	}
	mem, err := st.staff.GetChatMember(ctx, &telego.GetChatMemberParams{ChatID: tu.ID(st.group.ID), UserID: st.staffBot.User().ID})
	admin, ok := mem.(*telego.ChatMemberAdministrator)
	if err != nil || !ok || !admin.CanManageTopics {
		t.Fatalf("getChatMember = %#v, %v", mem, err)
	}
	if m, err := st.staff.GetChatMember(ctx, &telego.GetChatMemberParams{ChatID: tu.ID(st.group.ID), UserID: st.agent.ID}); err != nil || m.MemberStatus() != telego.MemberStatusCreator {
		t.Fatalf("owner = %#v, %v", m, err)
	}
	// The customer-facing bot is not in the group.
	if _, err := st.customer.GetChat(ctx, &telego.GetChatParams{ChatID: tu.ID(st.group.ID)}); apiErr(t, err).Description != "Bad Request: chat not found" {
		t.Fatalf("getChat by a non-member bot: %v", err)
	}

	topic, err := st.staff.CreateForumTopic(ctx, &telego.CreateForumTopicParams{ChatID: tu.ID(st.group.ID), Name: "Ada Lovelace @ada_l #42"})
	if err != nil || topic.MessageThreadID == 0 || topic.Name != "Ada Lovelace @ada_l #42" || topic.IconColor != 7322096 {
		t.Fatalf("createForumTopic = %+v, %v", topic, err)
	}
	sent, err := st.staff.SendMessage(ctx, tu.Message(tu.ID(st.group.ID), "header").WithMessageThreadID(topic.MessageThreadID))
	if err != nil || sent.MessageThreadID != topic.MessageThreadID || !sent.IsTopicMessage ||
		sent.ReplyToMessage == nil || sent.ReplyToMessage.ForumTopicCreated == nil {
		t.Fatalf("send in topic = %+v, %v", sent, err)
	}
	if rec := st.staffBot.SentTo(st.group.ID); len(rec) != 1 || rec[0].MessageThreadID != topic.MessageThreadID {
		t.Fatalf("recorded = %+v", rec)
	}
	_, err = st.staff.SendMessage(ctx, tu.Message(tu.ID(st.group.ID), "x").WithMessageThreadID(9999))
	if e := apiErr(t, err); e.Description != "Bad Request: message thread not found" {
		t.Fatalf("unknown thread: %v", err)
	}

	// An agent answers in the topic: the staff bot (an admin) gets it, shaped as on Telegram.
	st.s.PostInTopic(st.group.ID, topic.MessageThreadID, st.agent.ID, "Hello Ada")
	ups, err := st.staff.GetUpdates(ctx, nil)
	if err != nil || len(ups) != 1 {
		t.Fatalf("staff updates = %+v, %v", ups, err)
	}
	m := ups[0].Message
	if m == nil || m.Text != "Hello Ada" || m.MessageThreadID != topic.MessageThreadID || !m.IsTopicMessage ||
		m.From.ID != st.agent.ID || m.ReplyToMessage == nil || m.ReplyToMessage.MessageID != topic.MessageThreadID ||
		m.ReplyToMessage.ForumTopicCreated == nil || m.ReplyToMessage.ForumTopicCreated.Name != topic.Name {
		t.Fatalf("agent message = %+v", m)
	}
	if n := st.s.Pending(); n != 0 {
		t.Fatalf("the customer-facing bot got %d group updates", n)
	}

	// Edit, close, reopen with Telegram's "not modified" answers.
	edit := &telego.EditForumTopicParams{ChatID: tu.ID(st.group.ID), MessageThreadID: topic.MessageThreadID, Name: "✅ Ada Lovelace @ada_l #42"}
	if err := st.staff.EditForumTopic(ctx, edit); err != nil {
		t.Fatal(err)
	}
	if e := apiErr(t, st.staff.EditForumTopic(ctx, edit)); e.Description != "Bad Request: TOPIC_NOT_MODIFIED" {
		t.Fatalf("same name: %v", e)
	}
	closeP := &telego.CloseForumTopicParams{ChatID: tu.ID(st.group.ID), MessageThreadID: topic.MessageThreadID}
	if err := st.staff.CloseForumTopic(ctx, closeP); err != nil {
		t.Fatal(err)
	}
	if e := apiErr(t, st.staff.CloseForumTopic(ctx, closeP)); e.Description != "Bad Request: TOPIC_NOT_MODIFIED" {
		t.Fatalf("close twice: %v", e)
	}
	if tp := st.s.Topics(st.group.ID); len(tp) != 1 || !tp[0].Closed || tp[0].Name != edit.Name {
		t.Fatalf("topics = %+v", tp)
	}
	// The staff bot may manage topics, so it can still post in the closed one.
	if _, err := st.staff.SendMessage(ctx, tu.Message(tu.ID(st.group.ID), "closed note").WithMessageThreadID(topic.MessageThreadID)); err != nil {
		t.Fatalf("post in a closed topic with can_manage_topics: %v", err)
	}
	reopen := &telego.ReopenForumTopicParams{ChatID: tu.ID(st.group.ID), MessageThreadID: topic.MessageThreadID}
	if err := st.staff.ReopenForumTopic(ctx, reopen); err != nil {
		t.Fatal(err)
	}
	if e := apiErr(t, st.staff.ReopenForumTopic(ctx, reopen)); e.Description != "Bad Request: TOPIC_NOT_MODIFIED" {
		t.Fatalf("reopen an open topic: %v", e)
	}
	err = st.staff.CloseForumTopic(ctx, &telego.CloseForumTopicParams{ChatID: tu.ID(st.group.ID), MessageThreadID: 777})
	if e := apiErr(t, err); e.Description != "Bad Request: TOPIC_ID_INVALID" {
		t.Fatalf("close an unknown topic: %v", err)
	}
}

func TestForumRightsAndNotAForum(t *testing.T) {
	st := newStaff(t, telegramtest.Options{}, telegramtest.AdminRights{})
	ctx := t.Context()
	_, err := st.staff.CreateForumTopic(ctx, &telego.CreateForumTopicParams{ChatID: tu.ID(st.group.ID), Name: "x"})
	if e := apiErr(t, err); e.ErrorCode != 400 || e.Description != "Bad Request: not enough rights to create a topic" {
		t.Fatalf("without can_manage_topics: %v", err)
	}
	plain := st.s.AddSupergroup(telegramtest.SupergroupOptions{Title: "No topics",
		Admins: map[int64]telegramtest.AdminRights{st.staffBot.User().ID: {CanManageTopics: true}}})
	_, err = st.staff.CreateForumTopic(ctx, &telego.CreateForumTopicParams{ChatID: tu.ID(plain.ID), Name: "x"})
	if e := apiErr(t, err); e.Description != "Bad Request: the chat is not a forum" {
		t.Fatalf("not a forum: %v", err)
	}
	if full, err := st.staff.GetChat(ctx, &telego.GetChatParams{ChatID: tu.ID(plain.ID)}); err != nil || full.IsForum {
		t.Fatalf("getChat of a plain supergroup = %+v, %v", full, err)
	}
}

func TestGroupRateLimit(t *testing.T) {
	st := newStaff(t, telegramtest.Options{GroupRateLimit: 3}, telegramtest.AdminRights{CanManageTopics: true})
	ctx := t.Context()
	send := func() error {
		_, err := st.staff.SendMessage(ctx, tu.Message(tu.ID(st.group.ID), "burst"))
		return err
	}
	for i := range 3 {
		if err := send(); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		st.clock.Advance(10 * time.Second)
	}
	e := apiErr(t, send())
	if e.ErrorCode != 429 || e.Parameters == nil || e.Parameters.RetryAfter != 30 || e.Description != "Too Many Requests: retry after 30" {
		t.Fatalf("fourth send in a minute: %v", e)
	}
	st.clock.Advance(30 * time.Second)
	if err := send(); err != nil {
		t.Fatalf("after retry_after: %v", err)
	}
	if len(st.staffBot.SentTo(st.group.ID)) != 4 || st.staffBot.Served429() != 1 {
		t.Fatalf("sent %d, served429 %d", len(st.staffBot.SentTo(st.group.ID)), st.staffBot.Served429())
	}
}

func TestGroupMessagesReachTheBotsThatSeeThem(t *testing.T) {
	clock := newClock()
	s := start(t, telegramtest.Options{Now: clock.Now})
	plainBot := s.First() // a plain member: privacy mode
	staffBot := s.AddBot(telegramtest.BotOptions{})
	agent := s.RegisterUser(telego.User{FirstName: "Grace"})
	group := s.AddSupergroup(telegramtest.SupergroupOptions{Members: []int64{agent.ID, plainBot.User().ID},
		Admins: map[int64]telegramtest.AdminRights{staffBot.User().ID: {}}})
	plain, staff := bot(t, s, ""), bot(t, s, staffBot.Token())
	own, err := plain.SendMessage(t.Context(), tu.Message(tu.ID(group.ID), "a bot's message"))
	if err != nil {
		t.Fatal(err)
	}

	s.PostInTopic(group.ID, 0, agent.ID, "chatter")
	s.PostInTopic(group.ID, 0, agent.ID, "/claim")
	reply := s.NewTopicMessage(group.ID, 0, agent.ID)
	reply.Text, reply.ReplyToMessage = "re", own
	s.PushGroupMessage(reply)
	fromBot := s.NewTopicMessage(group.ID, 0, plainBot.User().ID)
	fromBot.Text = "loop?"
	s.PushGroupMessage(fromBot)

	texts := func(b *telego.Bot) []string {
		ups, err := b.GetUpdates(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range ups {
			out = append(out, u.Message.Text)
		}
		return out
	}
	if got := texts(staff); len(got) != 3 || got[0] != "chatter" || got[2] != "re" {
		t.Fatalf("admin bot got %v, want every human message and no bot's", got)
	}
	if got := texts(plain); len(got) != 2 || got[0] != "/claim" || got[1] != "re" {
		t.Fatalf("privacy-mode bot got %v, want the command and the reply to it", got)
	}
}

func TestWaitRequests(t *testing.T) {
	st := newStaff(t, telegramtest.Options{}, telegramtest.AdminRights{CanManageTopics: true})
	go func() {
		_, _ = st.staff.CreateForumTopic(t.Context(), &telego.CreateForumTopicParams{ChatID: tu.ID(st.group.ID), Name: "Ada #1"})
	}()
	got, err := st.staffBot.WaitRequests("createforumtopic", 1, 5*time.Second)
	if err != nil || len(got) != 1 || got[0].Method != "createForumTopic" || got[0].Params["name"] != "Ada #1" {
		t.Fatalf("WaitRequests = %+v, %v", got, err)
	}
	if _, err := st.staffBot.WaitRequests("createForumTopic", 2, 20*time.Millisecond); err == nil {
		t.Fatal("WaitRequests for a call never made returned no error")
	}
	if n := len(st.s.Requests("createForumTopic")); n != 0 {
		t.Fatalf("the first bot's log has %d createForumTopic calls", n)
	}
}
