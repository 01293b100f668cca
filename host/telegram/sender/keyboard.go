package sender

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mymmrac/telego"
)

// maxKeyboardText is the longest text of a message with a keyboard, in
// characters: Telegram's 4096 (UTF-16 units; config caps the texts the
// host sends here far below).
const maxKeyboardText = 4096

// Button is one inline keyboard button: its label and its callback_data.
type Button struct {
	Text string
	Data string
}

// SendKeyboard sends text (plain) with an inline keyboard of one row of
// buttons, and returns the message id. It is one message, so it is sent
// whole or not at all.
func (s *Sender) SendKeyboard(ctx context.Context, chatID int64, text string, row []Button) (int64, error) {
	return s.SendKeyboardRows(ctx, chatID, text, [][]Button{row})
}

// SendKeyboardRows is SendKeyboard with several rows of buttons.
func (s *Sender) SendKeyboardRows(ctx context.Context, chatID int64, text string, rows [][]Button) (int64, error) {
	if text == "" || utf8.RuneCountInString(text) > maxKeyboardText {
		return 0, fmt.Errorf("a keyboard's text must be 1 to %d characters", maxKeyboardText)
	}
	keyboard := make([][]telego.InlineKeyboardButton, 0, len(rows))
	for _, row := range rows {
		var buttons []telego.InlineKeyboardButton
		for _, b := range row {
			buttons = append(buttons, telego.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
		}
		keyboard = append(keyboard, buttons)
	}
	p := &telego.SendMessageParams{ChatID: telego.ChatID{ID: chatID}, Text: text, BusinessConnectionID: businessConnection(ctx),
		ReplyMarkup: &telego.InlineKeyboardMarkup{InlineKeyboard: keyboard}}
	msg, err := s.call(ctx, chatID, "sendMessage", func(ctx context.Context) (*telego.Message, error) {
		return s.bot.SendMessage(ctx, p)
	})
	if err != nil {
		return 0, err
	}
	return int64(msg.MessageID), nil
}

// AnswerCallback answers a tap on an inline button with a short text the
// user sees as a toast. Once: an answer that fails is not retried, since
// Telegram takes answers only for a few seconds after the tap.
func (s *Sender) AnswerCallback(ctx context.Context, queryID, text string) error {
	start := time.Now()
	err := s.bot.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: text})
	result := ResultOK
	if err != nil {
		err = scrub(err)
		result = ResultError
		if errors.Is(ctx.Err(), context.Canceled) {
			result = ResultCanceled
		}
	}
	s.obs.Call("answerCallbackQuery", result, time.Since(start))
	if err != nil {
		return fmt.Errorf("answerCallbackQuery: %w", err)
	}
	return nil
}
