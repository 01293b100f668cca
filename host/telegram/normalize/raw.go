package normalize

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// messageFields are the update fields that hold a message, in the order
// they are looked for; edited ones yield edit ids.
var messageFields = []struct {
	name   string
	edited bool
}{
	{"message", false},
	{"edited_message", true},
	{"channel_post", false},
	{"edited_channel_post", true},
	{"business_message", false},
	{"edited_business_message", true},
}

// looseMessage is the part of a message Raw can still read when telego
// cannot decode the whole update (an unknown union variant, say).
type looseMessage struct {
	MessageID int64  `json:"message_id"`
	Date      int64  `json:"date"`
	EditDate  int64  `json:"edit_date"`
	Text      string `json:"text"`
	Caption   string `json:"caption"`
	// BusinessConnectionID is set in Business chats.
	BusinessConnectionID string `json:"business_connection_id"`
	Chat                 struct {
		ID        int64  `json:"id"`
		Type      string `json:"type"`
		Username  string `json:"username"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"chat"`
	From *struct {
		ID           int64  `json:"id"`
		FirstName    string `json:"first_name"`
		LastName     string `json:"last_name"`
		Username     string `json:"username"`
		LanguageCode string `json:"language_code"`
	} `json:"from"`
}

// Raw normalises an update telego could not decode. It picks out what it
// can (chat, user, message id, the kind of content) and returns an
// unsupported message, so that the desk sees the user wrote something
// instead of the intake stalling or dropping it in silence. A message with
// text keeps its text (without formatting), since the part telego rejected
// is then metadata such as an unknown forward origin. Updates that
// are not private messages are ignored, with decodeErr in the reason.
func Raw(updateID int64, raw json.RawMessage, decodeErr error) Result {
	var update map[string]json.RawMessage
	if err := json.Unmarshal(raw, &update); err != nil {
		return ignored(0, fmt.Sprintf("update %d is not a JSON object: %v", updateID, err))
	}
	for _, f := range messageFields {
		body, ok := update[f.name]
		if !ok {
			continue
		}
		var m looseMessage
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || json.Unmarshal(body, &fields) != nil || m.Chat.ID == 0 {
			return ignored(0, fmt.Sprintf("update %d: undecodable %s without a chat: %v", updateID, f.name, decodeErr))
		}
		business := f.name == "business_message" || f.name == "edited_business_message"
		if business && m.BusinessConnectionID == "" {
			return ignored(m.Chat.ID, fmt.Sprintf("update %d: undecodable %s without a connection: %v", updateID, f.name, decodeErr))
		}
		if !business && f.name != "message" && f.name != "edited_message" {
			return ignored(m.Chat.ID, fmt.Sprintf("update %d: undecodable %s: %v", updateID, f.name, decodeErr))
		}
		// Private chat ids are positive; trust that when the type is missing.
		if m.Chat.Type != telego.ChatTypePrivate && (m.Chat.Type != "" || m.Chat.ID < 0) {
			return ignored(m.Chat.ID, fmt.Sprintf("update %d: undecodable message in %s chat %d: %v",
				updateID, m.Chat.Type, m.Chat.ID, decodeErr))
		}
		return rawMessage(updateID, m, fields, f.edited)
	}
	what := "update without a message"
	delete(update, "update_id")
	if keys := slices.Sorted(maps.Keys(update)); len(keys) > 0 {
		what = keys[0]
	}
	return ignored(0, fmt.Sprintf("update %d: undecodable %s: %v", updateID, what, decodeErr))
}

func rawMessage(updateID int64, m looseMessage, fields map[string]json.RawMessage, edited bool) Result {
	res := Result{Kind: Private, ChatID: m.Chat.ID, Time: time.Unix(m.Date, 0).UTC()}
	res.Contact = sdk.Contact{
		TelegramUserID: m.Chat.ID, FirstName: m.Chat.FirstName, LastName: m.Chat.LastName, Username: m.Chat.Username,
	}
	if u := m.From; u != nil {
		res.Contact = sdk.Contact{
			TelegramUserID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username,
			LanguageCode: u.LanguageCode,
		}
	}
	id := fmt.Sprintf("tg:%d:update:%d", m.Chat.ID, updateID)
	conn := m.BusinessConnectionID
	switch {
	case conn != "":
		// A Business chat: its own conversation, its own message ids.
		res.BusinessConnectionID = conn
		id = fmt.Sprintf("tgb:%s:%d:update:%d", conn, m.Chat.ID, updateID)
		if m.MessageID != 0 {
			id = BusinessMessageID(conn, m.Chat.ID, m.MessageID)
		}
	case m.MessageID != 0:
		id = MessageID(m.Chat.ID, m.MessageID)
	}
	msg := sdk.Message{
		ID:                id,
		Kind:              sdk.KindUnsupported,
		Text:              Unsupported(firstContentField(fields)),
		TelegramMessageID: m.MessageID,
	}
	switch {
	case m.Text != "":
		// The words are what matter; the part telego choked on was metadata.
		msg.Kind, msg.Text = sdk.KindText, m.Text
	case m.Caption != "":
		msg.Text += "\n" + m.Caption
	}
	if edited && m.MessageID != 0 {
		msg.EditOf = msg.ID
		msg.ID = EditID(m.Chat.ID, m.MessageID, m.EditDate)
		if conn != "" {
			msg.ID = businessEditID(conn, m.Chat.ID, m.MessageID, m.EditDate)
		}
		if m.EditDate != 0 {
			res.Time = time.Unix(m.EditDate, 0).UTC()
		}
	}
	if m.Date == 0 && m.EditDate == 0 {
		res.Time = time.Time{}
	}
	msg.Time = res.Time
	res.Message = &msg
	return res
}
