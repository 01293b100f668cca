package telegramtest_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// A user writes to the bot; the bot reads the update with telego and answers in HTML.
func Example() {
	s := telegramtest.New(telegramtest.Options{})
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Close()
	ann := s.AddUser(telego.User{FirstName: "Ann"})
	s.SendText(ann.ID, "/start ref_42")

	bot, _ := telego.NewBot(s.Token(), telego.WithAPIServer(s.URL()),
		telego.WithHTTPClient(&http.Client{}), telego.WithDiscardLogger())
	ctx := context.Background()
	ups, _ := bot.GetUpdates(ctx, nil)
	fmt.Println(ups[0].Message.Text)

	_, _ = bot.SendMessage(ctx, tu.Message(tu.ID(ann.ID), "<b>Welcome</b>, Ann").WithParseMode(telego.ModeHTML))
	sent := s.SentTo(ann.ID)[0]
	fmt.Println(sent.Method, sent.Text, "->", sent.Message.Text, sent.Message.Entities[0].Type)
	// Output:
	// /start ref_42
	// sendMessage <b>Welcome</b>, Ann -> Welcome, Ann bold
}

// One fake serves the customer-facing bot and a staff bot that runs a forum supergroup: the staff
// bot opens a topic, an agent answers in it, and the staff bot reads the answer.
func ExampleServer_AddSupergroup() {
	s := telegramtest.New(telegramtest.Options{})
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Close()
	staffBot := s.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Staff", Username: "staff_bot"}})
	agent := s.RegisterUser(telego.User{FirstName: "Grace"})
	group := s.AddSupergroup(telegramtest.SupergroupOptions{Title: "Support team", Forum: true, Owner: agent.ID,
		Admins: map[int64]telegramtest.AdminRights{staffBot.User().ID: {CanManageTopics: true}}})

	staff, _ := telego.NewBot(staffBot.Token(), telego.WithAPIServer(s.URL()),
		telego.WithHTTPClient(&http.Client{}), telego.WithDiscardLogger())
	ctx := context.Background()
	topic, _ := staff.CreateForumTopic(ctx, &telego.CreateForumTopicParams{ChatID: tu.ID(group.ID), Name: "Ada Lovelace #42"})
	s.PostInTopic(group.ID, topic.MessageThreadID, agent.ID, "Hello Ada")

	ups, _ := staff.GetUpdates(ctx, nil)
	m := ups[0].Message
	fmt.Println(m.Text, m.MessageThreadID == topic.MessageThreadID, m.IsTopicMessage, m.ReplyToMessage.ForumTopicCreated.Name)
	// Output:
	// Hello Ada true true Ada Lovelace #42
}
