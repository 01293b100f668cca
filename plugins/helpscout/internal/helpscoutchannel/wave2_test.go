package helpscoutchannel_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// A conversation through a named bot with a Telegram Business account is
// tagged with both, and its first thread says so; the customer gets the
// profile photo.
func TestNewConversationNamesBotBusinessAndPhoto(t *testing.T) {
	e := setup(t, nil)
	ct := contact
	ct.PhotoURL = "https://parley.example/files/photo-signed"
	resp, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c1", Bot: "shop", Business: &sdk.Business{ConnectionID: "bc",
			Account: sdk.BusinessAccount{ID: 7, Username: "acme", Name: "Acme & Sons"}}},
		Contact: ct, Message: text("m1", "Hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	conv := e.conversation(t, resp.ThreadRef)
	if got := strings.Join(conv.Tags, ","); got != "telegram,vip,bot-shop,telegram-business" {
		t.Errorf("tags %s; want the bot's and the Business tag after the configured ones", got)
	}
	want := "<i>via bot <b>shop</b> · <b>Acme &amp; Sons (@acme)</b> (Telegram Business)</i><br>Hello"
	if th := conv.CustomerThreads(); len(th) != 1 || th[0].Text != want {
		t.Errorf("first thread %+v; want %q", th, want)
	}
	if cu := e.fake.Customers(); len(cu) != 1 || cu[0].PhotoURL != ct.PhotoURL {
		t.Errorf("customers %+v; want the photo URL", cu)
	}
}

// A one-bot host's conversation has no via line or extra tags, and a photo
// link over Help Scout's 200 characters is left out instead of failing.
func TestOneBotConversationAndLongPhotoURL(t *testing.T) {
	e := setup(t, nil)
	ct := contact
	ct.PhotoURL = "https://parley.example/files/" + strings.Repeat("x", 200)
	resp, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{Conversation: sdk.Conversation{ID: "c1", Bot: "default"},
		Contact: ct, Message: text("m1", "Hello")})
	if err != nil {
		t.Fatal(err)
	}
	conv := e.conversation(t, resp.ThreadRef)
	if got := strings.Join(conv.Tags, ","); got != "telegram,vip" || conv.CustomerThreads()[0].Text != "Hello" {
		t.Errorf("tags %s, thread %q; want no bot or Business marks", got, conv.CustomerThreads()[0].Text)
	}
	if cu := e.fake.Customers(); len(cu) != 1 || cu[0].PhotoURL != "" {
		t.Errorf("customers %+v; want one, without the over-long photo URL", cu)
	}
}

func TestOutsideHoursMessageIsMarked(t *testing.T) {
	e := setup(t, nil)
	m := text("m1", "Are you open?")
	m.OutsideHours = true
	ref := e.mustDeliver(t, m, nil)
	if th := e.conversation(t, ref).CustomerThreads(); len(th) != 1 || th[0].Text != "<i>🌙 Outside business hours</i><br>Are you open?" {
		t.Errorf("thread %+v; want the outside-hours mark first", th)
	}
}

// Reactions, deletions, the Business owner's messages and transfers are
// notes with a mark of their own; the customer's threads are untouched.
func TestWave2NoticesAreNotes(t *testing.T) {
	e := setup(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	for _, tc := range []struct {
		n    sdk.Notice
		want string
	}{
		{sdk.Notice{Code: sdk.NoticeReaction, Text: "The customer reacted 👍 to your reply.", Emoji: "👍", ReplyExternalID: "9"}, "👍 The customer reacted 👍 to your reply."},
		{sdk.Notice{Code: sdk.NoticeMessageDeleted, Text: "The customer deleted “Hello”.", MessageID: "m1"}, "🗑️ The customer deleted “Hello”."},
		{sdk.Notice{Code: sdk.NoticeOwnerMessage, Text: "Acme <Ltd> wrote: on my way", Agent: "Acme"}, "🏢 Acme &lt;Ltd&gt; wrote: on my way"},
		{sdk.Notice{Code: sdk.NoticeTransfer, Text: "Moved to slack.", Channels: []string{"slack"}}, "🔀 Moved to slack."},
		{sdk.Notice{Code: sdk.NoticeBusinessConnection, Text: "The Business connection was disabled."}, "🔌 The Business connection was disabled."},
		{sdk.Notice{Code: sdk.NoticeUserBlocked, Text: "The user blocked the bot."}, "The user blocked the bot."},
	} {
		n := tc.n
		e.mustDeliver(t, sdk.Message{ID: "n-" + string(n.Code), Kind: sdk.KindNotice, Text: n.Text, Notice: &n, Time: time.Unix(1700000000, 0)}, ref)
		th := e.conversation(t, ref).Threads
		if last := th[len(th)-1]; last.Type != "note" || last.Text != tc.want {
			t.Errorf("%s: last thread %s %q; want a note %q", n.Code, last.Type, last.Text, tc.want)
		}
	}
	if n := len(e.conversation(t, ref).CustomerThreads()); n != 1 {
		t.Errorf("%d customer threads, want 1", n)
	}
}
