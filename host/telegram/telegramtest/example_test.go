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
