package sender_test

import (
	"encoding/json"
	"testing"

	"github.com/parley-dev/parley/host/telegram/sender"
)

func TestSendKeyboardTapAndAnswer(t *testing.T) {
	e := setup(t)
	s := e.sender(fast)
	ctx := t.Context()
	row := []sender.Button{{Text: "1", Data: "r.x.1.m"}, {Text: "2", Data: "r.x.2.m"}, {Text: "3", Data: "r.x.3.m"}}
	id, err := s.SendKeyboard(ctx, ann, "How did we do?", row)
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentTo(ann)
	if len(sent) != 1 || sent[0].MessageID != int(id) || sent[0].Text != "How did we do?" {
		t.Fatalf("sent %+v", sent)
	}
	var markup struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal(sent[0].ReplyMarkup, &markup); err != nil || len(markup.InlineKeyboard) != 1 || len(markup.InlineKeyboard[0]) != 3 ||
		markup.InlineKeyboard[0][1].Text != "2" || markup.InlineKeyboard[0][1].CallbackData != "r.x.2.m" {
		t.Fatalf("reply_markup %s (%v)", sent[0].ReplyMarkup, err)
	}
	q, err := e.fake.TapButton(ann, int(id), ann, "r.x.2.m")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerCallback(ctx, q, "Thanks"); err != nil {
		t.Fatal(err)
	}
	if as := e.fake.CallbackAnswers(); len(as) != 1 || as[0].QueryID != q || as[0].Text != "Thanks" {
		t.Fatalf("answers %+v", as)
	}
	if _, err := s.SendKeyboard(ctx, ann, "", row); err == nil {
		t.Error("a keyboard without text was sent")
	}
}
