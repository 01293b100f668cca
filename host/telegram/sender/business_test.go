package sender_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/sender"
	"github.com/parley-dev/parley/sdk"
)

// Under WithBusinessConnection a reply's parts, its edit and a keyboard
// all go through the connection; readBusinessMessage marks a message read;
// a connection without can_reply refuses for good, and that is not a
// customer who blocked the bot.
func TestBusinessConnectionSends(t *testing.T) {
	e := setup(t)
	s := e.sender(fast)
	bot := e.fake.First()
	conn := bot.ConnectBusiness(telego.User{FirstName: "Sam"}, telego.BusinessBotRights{CanReply: true, CanReadMessages: true})
	cust := bot.AddUser(telego.User{FirstName: "Cara"})
	asked := bot.SendBusinessText(conn.ID, cust.ID, "hello")

	ctx := sender.WithBusinessConnection(context.Background(), conn.ID)
	res, err := s.SendReply(ctx, cust.ID, sdk.Reply{Text: "hi there"}, nil)
	if err != nil || len(res.MessageIDs) != 1 {
		t.Fatalf("SendReply: %+v, %v", res, err)
	}
	if err := s.EditText(ctx, cust.ID, res.MessageIDs[0], sdk.Reply{Text: "hi there!"}); err != nil {
		t.Fatalf("EditText: %v", err)
	}
	if _, err := s.SendKeyboard(ctx, cust.ID, "Rate us", []sender.Button{{Text: "5", Data: "x"}}); err != nil {
		t.Fatalf("SendKeyboard: %v", err)
	}
	sent := bot.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d calls, want 3: %+v", len(sent), sent)
	}
	for _, c := range sent {
		if c.BusinessConnectionID != conn.ID || c.ChatID != cust.ID {
			t.Errorf("%s went to chat %d through %q, want %d through %s", c.Method, c.ChatID, c.BusinessConnectionID, cust.ID, conn.ID)
		}
	}
	if err := s.ReadBusinessMessage(context.Background(), conn.ID, cust.ID, int64(asked.MessageID)); err != nil {
		t.Fatalf("ReadBusinessMessage: %v", err)
	}
	if got := bot.BusinessRead(conn.ID, cust.ID); !slices.Equal(got, []int{asked.MessageID}) {
		t.Errorf("read %v, want [%d]", got, asked.MessageID)
	}

	bot.SetBusinessRights(conn.ID, telego.BusinessBotRights{CanReadMessages: true})
	_, err = s.SendReply(ctx, cust.ID, sdk.Reply{Text: "again"}, nil)
	var be *sender.BusinessError
	if !errors.As(err, &be) || !sdk.IsPermanent(err) || errors.Is(err, sender.ErrBlocked) {
		t.Fatalf("a send without can_reply: %v (business error %v, permanent %v, blocked %v)", err, be != nil, sdk.IsPermanent(err), errors.Is(err, sender.ErrBlocked))
	}
}
