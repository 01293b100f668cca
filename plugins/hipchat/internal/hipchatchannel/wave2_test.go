package hipchatchannel_test

import (
	"context"
	"testing"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/sdk"
)

// The header line names the bot (unless it is the host's only one) and
// the Telegram Business account, and marks a message written outside
// business hours.
func TestHeaderNamesBotBusinessAndHours(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	ct := sdk.Contact{TelegramUserID: 7, FirstName: "Ivan", Username: "ivan_p"}
	for _, tc := range []struct {
		name string
		conv sdk.Conversation
		out  bool
		want string
	}{
		{"one bot", sdk.Conversation{ID: "c", Number: 1, Bot: "default"}, false, "<b>#1</b> Ivan (@ivan_p):<br>hi"},
		{"named bot", sdk.Conversation{ID: "c", Number: 2, Bot: "shop"}, false, "<b>#2</b> Ivan (@ivan_p) <i>via shop</i>:<br>hi"},
		{"business", sdk.Conversation{ID: "c", Number: 3, Bot: "default",
			Business: &sdk.Business{ConnectionID: "bc", Account: sdk.BusinessAccount{ID: 5, Username: "acme", Name: "Acme & Sons"}}}, false,
			"<b>#3</b> Ivan (@ivan_p) <i>via Acme &amp; Sons (Telegram Business)</i>:<br>hi"},
		{"outside hours", sdk.Conversation{ID: "c", Number: 4, Bot: "shop"}, true,
			"<b>#4</b> Ivan (@ivan_p) <i>via shop</i> <i>🌙 outside business hours</i>:<br>hi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.Notifications(e.fake.RoomID()))
			_, err := e.ch.Deliver(context.Background(), sdk.DeliverRequest{Conversation: tc.conv, Contact: ct,
				Message: sdk.Message{ID: tc.name, Kind: sdk.KindText, Text: "hi", OutsideHours: tc.out}})
			if err != nil {
				t.Fatal(err)
			}
			got := e.fake.Notifications(e.fake.RoomID())[before:]
			if len(got) != 1 || got[0].Message != tc.want {
				t.Errorf("notifications %+v; want one %q", got, tc.want)
			}
		})
	}
}

// The wave-2 notices are grey notifications led by their mark; failures
// and a changed Business connection are yellow.
func TestWave2NoticesAreNotifications(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	for _, tc := range []struct {
		n     sdk.Notice
		want  string
		color string
	}{
		{sdk.Notice{Code: sdk.NoticeReaction, Text: "The customer reacted 👍 to your reply.", Emoji: "👍"}, "<b>#9</b> 👍 The customer reacted 👍 to your reply.", "gray"},
		{sdk.Notice{Code: sdk.NoticeMessageDeleted, Text: "The customer deleted “hi”."}, "<b>#9</b> 🗑️ The customer deleted “hi”.", "gray"},
		{sdk.Notice{Code: sdk.NoticeOwnerMessage, Text: "Acme <Ltd> wrote: on my way", Agent: "Acme"}, "<b>#9</b> 🏢 Acme &lt;Ltd&gt; wrote: on my way", "gray"},
		{sdk.Notice{Code: sdk.NoticeTransfer, Text: "Moved to slack.", Channels: []string{"slack"}}, "<b>#9</b> 🔀 Moved to slack.", "gray"},
		{sdk.Notice{Code: sdk.NoticeReactionFailed, Text: "Telegram refused the reaction."}, "<b>#9</b> ⚠️ Telegram refused the reaction.", "yellow"},
		{sdk.Notice{Code: sdk.NoticeDeleteFailed, Text: "Too old to delete."}, "<b>#9</b> ⚠️ Too old to delete.", "yellow"},
		{sdk.Notice{Code: sdk.NoticeBusinessConnection, Text: "The Business connection was disabled."}, "<b>#9</b> 🔌 The Business connection was disabled.", "yellow"},
	} {
		t.Run(string(tc.n.Code), func(t *testing.T) {
			before := len(e.fake.Notifications(e.fake.RoomID()))
			n := tc.n
			if _, err := e.deliver(t, 9, sdk.Message{ID: "n-" + string(n.Code), Kind: sdk.KindNotice, Text: n.Text, Notice: &n}); err != nil {
				t.Fatal(err)
			}
			got := e.fake.Notifications(e.fake.RoomID())[before:]
			if len(got) != 1 || got[0].Message != tc.want || got[0].Color != tc.color || got[0].Notify {
				t.Errorf("notifications %+v; want one silent %s %q", got, tc.color, tc.want)
			}
		})
	}
}
