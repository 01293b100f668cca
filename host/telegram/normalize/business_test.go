package normalize

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

func TestBusinessMessages(t *testing.T) {
	customer := telego.User{ID: 77, FirstName: "Cara"}
	owner := telego.User{ID: 5, FirstName: "Ann", LastName: "Owner"}
	chat := telego.Chat{ID: 77, Type: telego.ChatTypePrivate, FirstName: "Cara"}
	msg := func(from telego.User, text string) *telego.Message {
		return &telego.Message{MessageID: 3, From: &from, Chat: chat, Date: 1000, Text: text, BusinessConnectionID: "conn"}
	}

	res, err := Update(telego.Update{BusinessMessage: msg(customer, "hello")}, Options{})
	if err != nil || res.Kind != Private || res.BusinessConnectionID != "conn" || res.ChatID != 77 {
		t.Fatalf("customer: %+v, %v", res, err)
	}
	if res.Message.ID != "tgb:conn:77:3" || res.Message.Text != "hello" || res.Contact.FirstName != "Cara" {
		t.Fatalf("customer message: %+v, contact %+v", res.Message, res.Contact)
	}

	res, err = Update(telego.Update{BusinessMessage: msg(owner, "on my way")}, Options{})
	if err != nil || res.Kind != Private || res.Message.Kind != sdk.KindNotice {
		t.Fatalf("owner: %+v, %v", res, err)
	}
	n := res.Message.Notice
	if n.Code != sdk.NoticeOwnerMessage || n.Agent != "Ann Owner" || n.Text != "Ann Owner replied from the Telegram app: on my way" {
		t.Fatalf("owner notice: %+v", n)
	}
	if res.Contact.TelegramUserID != 77 || res.Contact.FirstName != "Cara" {
		t.Fatalf("owner's message: the contact is the customer, got %+v", res.Contact)
	}

	echo := msg(owner, "agent reply")
	echo.SenderBusinessBot = &telego.User{ID: 1, IsBot: true}
	if res, _ := Update(telego.Update{BusinessMessage: echo}, Options{}); res.Kind != Ignored {
		t.Fatalf("the bot's own business message: %+v, want ignored", res)
	}

	ed := msg(customer, "hello again")
	ed.EditDate = 2000
	res, err = Update(telego.Update{EditedBusinessMessage: ed}, Options{})
	if err != nil || res.Message.EditOf != "tgb:conn:77:3" || res.Message.ID != "tgb:conn:77:3:edit:2000" {
		t.Fatalf("edit: %+v, %v", res.Message, err)
	}

	res, err = Update(telego.Update{DeletedBusinessMessages: &telego.BusinessMessagesDeleted{
		BusinessConnectionID: "conn", Chat: chat, MessageIDs: []int{3, 4}}}, Options{})
	if err != nil || res.Kind != Deleted || strings.Join(res.Deleted.MessageIDs, ",") != "tgb:conn:77:3,tgb:conn:77:4" {
		t.Fatalf("deleted: %+v, %v", res, err)
	}
	if d := DeletedNotice("tgb:conn:77:3", "one two three four five six seven eight nine ten eleven twelve thirteen", res.Time); d.Notice.Code != sdk.NoticeMessageDeleted ||
		d.Notice.MessageID != "tgb:conn:77:3" || d.Text != "The customer deleted a message: one two three four five six seven eight nine ten eleven twelve …" {
		t.Fatalf("deleted notice: %+v", d)
	}

	bad := msg(customer, "x")
	bad.BusinessConnectionID = ""
	if _, err := Update(telego.Update{BusinessMessage: bad}, Options{}); err == nil {
		t.Fatal("a business message without a connection id: no error")
	}
}

// A business_connection of a Bot API server before 9.0 has can_reply at
// the top and no rights; 9.0 has rights.
func TestBusinessConnectionRights(t *testing.T) {
	for _, tt := range []struct {
		raw   string
		reply bool
		read  bool
	}{
		{`{"update_id":1,"business_connection":{"id":"c","user":{"id":5,"is_bot":false,"first_name":"Ann"},"user_chat_id":5,"date":1,"can_reply":true,"is_enabled":true}}`, true, false},
		{`{"update_id":1,"business_connection":{"id":"c","user":{"id":5,"is_bot":false,"first_name":"Ann"},"user_chat_id":5,"date":1,"rights":{"can_read_messages":true},"can_reply":true,"is_enabled":true}}`, false, true},
	} {
		var u telego.Update
		if err := json.Unmarshal([]byte(tt.raw), &u); err != nil {
			t.Fatal(err)
		}
		res, err := UpdateRaw(u, json.RawMessage(tt.raw), Options{})
		if err != nil || res.Kind != Connection {
			t.Fatalf("%s: %+v %v", tt.raw, res, err)
		}
		rights := strings.Join(res.Connection.Rights(), ",")
		if res.Connection.CanReply != tt.reply || strings.Contains(rights, "can_read_messages") != tt.read || !res.Connection.IsEnabled {
			t.Fatalf("%s: can_reply %v, rights %s", tt.raw, res.Connection.CanReply, rights)
		}
	}
}

// An undecodable business message still reaches its Business chat's
// conversation as unsupported.
func TestBusinessRaw(t *testing.T) {
	raw := `{"update_id":9,"business_message":{"message_id":4,"date":1,"business_connection_id":"conn","chat":{"id":77,"type":"private"},"text":"hi","forward_origin":{"type":"new"}}}`
	res := Raw(9, json.RawMessage(raw), nil)
	if res.Kind != Private || res.BusinessConnectionID != "conn" || res.Message.ID != "tgb:conn:77:4" || res.Message.Text != "hi" {
		t.Fatalf("raw business message: %+v %+v", res, res.Message)
	}
}
