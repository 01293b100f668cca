package normalize

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

const (
	chatID  = 5551234
	date    = 1767225600
	botID   = 6012345678
	ann     = `{"id":5551234,"is_bot":false,"first_name":"Ann","last_name":"Lee","username":"ann_l","language_code":"de"}`
	annChat = `{"id":5551234,"first_name":"Ann","last_name":"Lee","username":"ann_l","type":"private"}`
	botUser = `{"id":6012345678,"is_bot":true,"first_name":"Support","username":"support_bot"}`
)

var (
	sent    = time.Unix(date, 0).UTC()
	annUser = sdk.Contact{TelegramUserID: chatID, FirstName: "Ann", LastName: "Lee", Username: "ann_l", LanguageCode: "de"}
	opts    = Options{BotUsername: "support_bot", BotID: botID}
)

// update builds a wire update holding a private message from Ann with the
// given extra fields.
func update(field, extra string) string {
	return `{"update_id":204518731,"` + field + `":{"message_id":17,"from":` + ann + `,"chat":` + annChat +
		`,"date":1767225600` + extra + `}}`
}

func decode(t *testing.T, raw string) telego.Update {
	t.Helper()
	var u telego.Update
	if err := json.Unmarshal([]byte(raw), &u); err != nil {
		t.Fatalf("decoding the test update: %v\n%s", err, raw)
	}
	return u
}

func run(t *testing.T, raw string) Result {
	t.Helper()
	res, err := Update(decode(t, raw), opts)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return res
}

func assertMessage(t *testing.T, got *sdk.Message, want sdk.Message) {
	t.Helper()
	if got == nil {
		t.Fatalf("no message; want %s", dump(want))
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("message\n got %s\nwant %s", dump(*got), dump(want))
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestContentKinds(t *testing.T) {
	id := MessageID(chatID, 17)
	tests := []struct {
		name  string
		extra string
		want  sdk.Message
	}{
		{
			name:  "plain text keeps <, & and * as typed",
			extra: `,"text":"a < b && c *d*"`,
			want:  sdk.Message{Kind: sdk.KindText, Text: "a < b && c *d*"},
		},
		{
			// "Hi 😀 𝐁old café": 😀 and 𝐁 are two UTF-16 units each.
			name: "entity offsets move from UTF-16 units to runes",
			extra: `,"text":"Hi 😀 𝐁old café https://x.io","entities":[` +
				`{"type":"bold","offset":6,"length":5},{"type":"italic","offset":3,"length":2},` +
				`{"type":"url","offset":17,"length":12},{"type":"text_link","offset":12,"length":4,"url":"https://c.af"}]`,
			want: sdk.Message{Kind: sdk.KindText, Text: "Hi 😀 𝐁old café https://x.io", Entities: []sdk.Entity{
				{Type: "bold", Offset: 5, Length: 4},
				{Type: "italic", Offset: 3, Length: 1},
				{Type: "url", Offset: 15, Length: 12},
				{Type: "text_link", Offset: 10, Length: 4, URL: "https://c.af"},
			}},
		},
		{
			name:  "an entity cutting a surrogate pair covers the whole emoji",
			extra: `,"text":"😀x","entities":[{"type":"bold","offset":1,"length":1},{"type":"code","offset":2,"length":9}]`,
			want: sdk.Message{Kind: sdk.KindText, Text: "😀x", Entities: []sdk.Entity{
				{Type: "bold", Offset: 0, Length: 1},
				{Type: "code", Offset: 1, Length: 1},
			}},
		},
		{
			name:  "other commands are ordinary text",
			extra: `,"text":"/help me","entities":[{"type":"bot_command","offset":0,"length":5}]`,
			want:  sdk.Message{Kind: sdk.KindText, Text: "/help me", Entities: []sdk.Entity{{Type: "bot_command", Length: 5}}},
		},
		{
			name: "photo picks the largest size and puts the caption after the summary",
			extra: `,"media_group_id":"13912345678901234","caption":"receipt 🧾 total","caption_entities":[{"type":"bold","offset":11,"length":5}],` +
				`"photo":[{"file_id":"AgACph-m","file_unique_id":"AQADm","file_size":21480,"width":320,"height":240},` +
				`{"file_id":"AgACph-l","file_unique_id":"AQADl","file_size":98775,"width":1280,"height":960},` +
				`{"file_id":"AgACph-s","file_unique_id":"AQADs","file_size":1311,"width":90,"height":68}]`,
			want: sdk.Message{
				Kind: sdk.KindPhoto, Text: "🖼 Photo (96.5 KB)\nreceipt 🧾 total",
				// The summary line is 17 runes plus the newline.
				Entities:     []sdk.Entity{{Type: "bold", Offset: 18 + 10, Length: 5}},
				MediaGroupID: "13912345678901234",
				Attachments: []sdk.Attachment{{
					Name: "photo_AQADl.jpg", MIMEType: "image/jpeg", Size: 98775, FileRef: "AgACph-l",
					Kind: "photo", Width: 1280, Height: 960,
				}},
			},
		},
		{
			name:  "document",
			extra: `,"document":{"file_name":"report.pdf","mime_type":"application/pdf","file_id":"BQACdoc1","file_unique_id":"AgADdoc1","file_size":1258291}`,
			want: sdk.Message{Kind: sdk.KindDocument, Text: "📎 report.pdf (1.2 MB)", Attachments: []sdk.Attachment{{
				Name: "report.pdf", MIMEType: "application/pdf", Size: 1258291, FileRef: "BQACdoc1", Kind: "document",
			}}},
		},
		{
			name:  "document over 20 MB is flagged too large",
			extra: `,"document":{"file_name":"Übersicht 2026.zip","file_id":"BQbig","file_unique_id":"AgBig","file_size":20971521}`,
			want: sdk.Message{Kind: sdk.KindDocument, Text: "📎 Übersicht 2026.zip (20.0 MB, too large to download)", Attachments: []sdk.Attachment{{
				Name: "Übersicht 2026.zip", MIMEType: "application/octet-stream", Size: 20971521, TooLarge: true,
				FileRef: "BQbig", Kind: "document",
			}}},
		},
		{
			name:  "document of exactly 20 MB can still be fetched",
			extra: `,"document":{"file_name":"a.bin","file_id":"BQ20","file_unique_id":"Ag20","file_size":20971520}`,
			want: sdk.Message{Kind: sdk.KindDocument, Text: "📎 a.bin (20.0 MB)", Attachments: []sdk.Attachment{{
				Name: "a.bin", MIMEType: "application/octet-stream", Size: 20971520, FileRef: "BQ20", Kind: "document",
			}}},
		},
		{
			name:  "voice",
			extra: `,"voice":{"file_id":"AwACvoice","file_unique_id":"AgADv","duration":12,"mime_type":"audio/ogg","file_size":14000}`,
			want: sdk.Message{Kind: sdk.KindVoice, Text: "🎤 Voice message (0:12, 13.7 KB)", Attachments: []sdk.Attachment{{
				Name: "voice_AgADv.ogg", MIMEType: "audio/ogg", Size: 14000, FileRef: "AwACvoice", Kind: "voice", DurationSeconds: 12,
			}}},
		},
		{
			name:  "audio without a file name",
			extra: `,"audio":{"file_id":"CQaud","file_unique_id":"AgAud","duration":205,"performer":"Nina","title":"Song","mime_type":"audio/mp4"}`,
			want: sdk.Message{Kind: sdk.KindAudio, Text: "🎵 Nina – Song (3:25)", Attachments: []sdk.Attachment{{
				Name: "audio_AgAud.m4a", MIMEType: "audio/mp4", FileRef: "CQaud", Kind: "audio", DurationSeconds: 205,
			}}},
		},
		{
			name:  "video",
			extra: `,"caption":"look","video":{"file_id":"BAvid","file_unique_id":"AgVid","width":1920,"height":1080,"duration":3725,"file_size":5100000}`,
			want: sdk.Message{Kind: sdk.KindVideo, Text: "🎬 Video (1:02:05, 4.9 MB)\nlook", Attachments: []sdk.Attachment{{
				Name: "video_AgVid.mp4", MIMEType: "video/mp4", Size: 5100000, FileRef: "BAvid", Kind: "video",
				Width: 1920, Height: 1080, DurationSeconds: 3725,
			}}},
		},
		{
			name:  "video note",
			extra: `,"video_note":{"file_id":"DQnote","file_unique_id":"AgNote","length":240,"duration":9,"file_size":300000}`,
			want: sdk.Message{Kind: sdk.KindVideoNote, Text: "📹 Video message (0:09, 293.0 KB)", Attachments: []sdk.Attachment{{
				Name: "video_note_AgNote.mp4", MIMEType: "video/mp4", Size: 300000, FileRef: "DQnote", Kind: "video_note",
				Width: 240, Height: 240, DurationSeconds: 9,
			}}},
		},
		{
			name: "animation wins over the document Telegram also sets",
			extra: `,"animation":{"file_id":"CgAnim","file_unique_id":"AgAnim","width":320,"height":240,"duration":3,"file_name":"cat.mp4","mime_type":"video/mp4","file_size":80000},` +
				`"document":{"file_id":"CgAnim","file_unique_id":"AgAnim","file_name":"cat.mp4","mime_type":"video/mp4","file_size":80000}`,
			want: sdk.Message{Kind: sdk.KindAnimation, Text: "🎞 GIF (0:03, 78.1 KB)", Attachments: []sdk.Attachment{{
				Name: "cat.mp4", MIMEType: "video/mp4", Size: 80000, FileRef: "CgAnim", Kind: "animation",
				Width: 320, Height: 240, DurationSeconds: 3,
			}}},
		},
		{
			name:  "static sticker",
			extra: `,"sticker":{"file_id":"CAstick","file_unique_id":"AgStick","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false,"emoji":"😂","file_size":20000}`,
			want: sdk.Message{Kind: sdk.KindSticker, Text: "Sticker 😂", StickerEmoji: "😂", Attachments: []sdk.Attachment{{
				Name: "sticker_AgStick.webp", MIMEType: "image/webp", Size: 20000, FileRef: "CAstick", Kind: "sticker",
				Width: 512, Height: 512,
			}}},
		},
		{
			name:  "animated sticker",
			extra: `,"sticker":{"file_id":"CAtgs","file_unique_id":"AgTgs","type":"regular","width":512,"height":512,"is_animated":true,"is_video":false,"emoji":"👍"}`,
			want: sdk.Message{Kind: sdk.KindSticker, Text: "Sticker 👍", StickerEmoji: "👍", Attachments: []sdk.Attachment{{
				Name: "sticker_AgTgs.tgs", MIMEType: "application/x-tgsticker", FileRef: "CAtgs", Kind: "sticker",
				Width: 512, Height: 512,
			}}},
		},
		{
			name:  "location",
			extra: `,"location":{"latitude":52.52,"longitude":13.4}`,
			want: sdk.Message{Kind: sdk.KindLocation,
				Text: "📍 Location: 52.52, 13.4 https://www.openstreetmap.org/?mlat=52.52&mlon=13.4#map=16/52.52/13.4",
				Location: &sdk.Location{Latitude: 52.52, Longitude: 13.4,
					MapURL: "https://www.openstreetmap.org/?mlat=52.52&mlon=13.4#map=16/52.52/13.4"},
			},
		},
		{
			name: "venue",
			extra: `,"location":{"latitude":48.8583701,"longitude":2.2944813},` +
				`"venue":{"location":{"latitude":48.8583701,"longitude":2.2944813},"title":"Tour Eiffel","address":"Champ de Mars, Paris"}`,
			want: sdk.Message{Kind: sdk.KindVenue,
				Text: "📍 Tour Eiffel, Champ de Mars, Paris: 48.85837, 2.294481 https://www.openstreetmap.org/?mlat=48.85837&mlon=2.294481#map=16/48.85837/2.294481",
				Location: &sdk.Location{Latitude: 48.8583701, Longitude: 2.2944813, Title: "Tour Eiffel", Address: "Champ de Mars, Paris",
					MapURL: "https://www.openstreetmap.org/?mlat=48.85837&mlon=2.294481#map=16/48.85837/2.294481"},
			},
		},
		{
			name:  "contact",
			extra: `,"contact":{"phone_number":"+4930123456","first_name":"Bob","last_name":"Ray","user_id":777}`,
			want: sdk.Message{Kind: sdk.KindContact, Text: "👤 Contact: Bob Ray +4930123456",
				SharedContact: &sdk.SharedContact{FirstName: "Bob", LastName: "Ray", PhoneNumber: "+4930123456", TelegramUserID: 777}},
		},
		{
			name: "poll",
			extra: `,"poll":{"id":"1","question":"Which plan?","options":[{"text":"A","voter_count":0},{"text":"B","voter_count":0},{"text":"C","voter_count":0}],` +
				`"total_voter_count":0,"is_closed":false,"is_anonymous":true,"type":"regular","allows_multiple_answers":false}`,
			want: sdk.Message{Kind: sdk.KindPoll, Text: "📊 Poll: Which plan? — A / B / C",
				Poll: &sdk.Poll{Question: "Which plan?", Options: []string{"A", "B", "C"}}},
		},
		{
			name:  "dice is unsupported but not silent",
			extra: `,"dice":{"emoji":"🎲","value":4}`,
			want:  sdk.Message{Kind: sdk.KindUnsupported, Text: "unsupported message type dice"},
		},
		{
			name:  "story",
			extra: `,"story":{"chat":` + annChat + `,"id":3}`,
			want:  sdk.Message{Kind: sdk.KindUnsupported, Text: "unsupported message type story"},
		},
		{
			name:  "game",
			extra: `,"game":{"title":"Snake","description":"eat","photo":[{"file_id":"g","file_unique_id":"g","width":1,"height":1}]}`,
			want:  sdk.Message{Kind: sdk.KindUnsupported, Text: "unsupported message type game"},
		},
		{
			name:  "giveaway",
			extra: `,"giveaway":{"chats":[],"winners_selection_date":1767300000,"winner_count":1}`,
			want:  sdk.Message{Kind: sdk.KindUnsupported, Text: "unsupported message type giveaway"},
		},
		{
			name:  "paid media keeps its caption",
			extra: `,"caption":"for you","paid_media":{"star_count":5,"paid_media":[]}`,
			want:  sdk.Message{Kind: sdk.KindUnsupported, Text: "unsupported message type paid_media\nfor you"},
		},
		{
			name:  "empty message",
			extra: ``,
			want:  sdk.Message{Kind: sdk.KindUnsupported, Text: "unsupported message type unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, update("message", tt.extra))
			if res.Kind != Private || res.ChatID != chatID || res.Start != nil {
				t.Fatalf("got kind %v chat %d start %v; want a private message in chat %d", res.Kind, res.ChatID, res.Start, chatID)
			}
			want := tt.want
			want.ID, want.Time, want.TelegramMessageID = id, sent, 17
			assertMessage(t, res.Message, want)
		})
	}
}

func TestContactAndTime(t *testing.T) {
	res := run(t, update("message", `,"text":"hi"`))
	if res.Contact != annUser {
		t.Errorf("contact = %+v, want %+v", res.Contact, annUser)
	}
	if !res.Time.Equal(sent) {
		t.Errorf("time = %v, want %v", res.Time, sent)
	}

	// Without "from" (it is optional) the private chat names the user; a
	// missing language stays empty.
	raw := `{"update_id":9,"message":{"message_id":3,"chat":{"id":42,"first_name":"Zoë","type":"private"},"date":1767225600,"text":"hi"}}`
	res = run(t, raw)
	want := sdk.Contact{TelegramUserID: 42, FirstName: "Zoë"}
	if res.Contact != want {
		t.Errorf("contact without from = %+v, want %+v", res.Contact, want)
	}
}

func TestForward(t *testing.T) {
	origDate := int64(1767000000)
	tests := []struct {
		name, origin, from string
	}{
		{"user", `{"type":"user","date":1767000000,"sender_user":{"id":9,"is_bot":false,"first_name":"Carl","last_name":"Mo"}}`, "Carl Mo"},
		{"user with only a username", `{"type":"user","date":1767000000,"sender_user":{"id":9,"is_bot":false,"first_name":"","username":"carl"}}`, "@carl"},
		{"hidden user", `{"type":"hidden_user","date":1767000000,"sender_user_name":"Secret Sam"}`, "Secret Sam"},
		{"chat", `{"type":"chat","date":1767000000,"sender_chat":{"id":-100123,"type":"supergroup","title":"Neighbours"}}`, "Neighbours"},
		{"channel with signature", `{"type":"channel","date":1767000000,"chat":{"id":-100456,"type":"channel","title":"News"},"message_id":5,"author_signature":"Ed"}`, "News — Ed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, update("message", `,"text":"fwd","forward_origin":`+tt.origin))
			want := &sdk.Forward{From: tt.from, OriginalTime: time.Unix(origDate, 0).UTC()}
			if res.Message == nil || !reflect.DeepEqual(res.Message.Forward, want) {
				t.Fatalf("forward = %s, want %s", dump(res.Message), dump(want))
			}
			if res.Message.Text != "fwd" || res.Message.Kind != sdk.KindText {
				t.Errorf("forwarded text changed: %q %s", res.Message.Text, res.Message.Kind)
			}
		})
	}
}

func TestReply(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		reply string
		want  sdk.Quote
	}{
		{
			name:  "to the bot's answer",
			opts:  opts,
			reply: `,"reply_to_message":{"message_id":12,"from":` + botUser + `,"chat":` + annChat + `,"date":1767225000,"text":"Your order ships <today> & *free*"}`,
			want:  sdk.Quote{MessageID: "tg:5551234:12", Text: "Your order ships <today> & *free*", FromBot: true},
		},
		{
			name:  "to another bot when the bot id is known",
			opts:  opts,
			reply: `,"reply_to_message":{"message_id":12,"from":{"id":1,"is_bot":true,"first_name":"Other"},"chat":` + annChat + `,"date":1767225000,"text":"x"}`,
			want:  sdk.Quote{MessageID: "tg:5551234:12", Text: "x"},
		},
		{
			name:  "to a bot when the bot id is unknown",
			opts:  Options{},
			reply: `,"reply_to_message":{"message_id":12,"from":{"id":1,"is_bot":true,"first_name":"Other"},"chat":` + annChat + `,"date":1767225000,"text":"x"}`,
			want:  sdk.Quote{MessageID: "tg:5551234:12", Text: "x", FromBot: true},
		},
		{
			name:  "to the user's own photo",
			opts:  opts,
			reply: `,"reply_to_message":{"message_id":11,"from":` + ann + `,"chat":` + annChat + `,"date":1767225000,"caption":"this one","photo":[{"file_id":"p","file_unique_id":"u","width":10,"height":10,"file_size":2000}]}`,
			want:  sdk.Quote{MessageID: "tg:5551234:11", Text: "🖼 Photo (2.0 KB)\nthis one"},
		},
		{
			name:  "with a quoted fragment",
			opts:  opts,
			reply: `,"reply_to_message":{"message_id":12,"from":` + botUser + `,"chat":` + annChat + `,"date":1767225000,"text":"one. two."},"quote":{"text":"two.","position":5}`,
			want:  sdk.Quote{MessageID: "tg:5551234:12", Text: "two.", FromBot: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Update(decode(t, update("message", `,"text":"when?"`+tt.reply)), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Message == nil || res.Message.ReplyTo == nil {
				t.Fatalf("no reply in %s", dump(res.Message))
			}
			if *res.Message.ReplyTo != tt.want {
				t.Errorf("reply = %+v, want %+v", *res.Message.ReplyTo, tt.want)
			}
		})
	}
}

func TestEditedMessage(t *testing.T) {
	raw := update("edited_message", `,"edit_date":1767225999,"text":"fixed typo","entities":[{"type":"italic","offset":6,"length":4}]`)
	res := run(t, raw)
	assertMessage(t, res.Message, sdk.Message{
		ID:                "tg:5551234:17:edit:1767225999",
		EditOf:            "tg:5551234:17",
		Time:              time.Unix(1767225999, 0).UTC(),
		Kind:              sdk.KindText,
		Text:              "fixed typo",
		Entities:          []sdk.Entity{{Type: "italic", Offset: 6, Length: 4}},
		TelegramMessageID: 17,
	})

	// A second edit is a different message; a redelivered edit is the same.
	again := run(t, update("edited_message", `,"edit_date":1767226100,"text":"fixed typo again"`))
	if again.Message.ID == res.Message.ID || again.Message.EditOf != res.Message.EditOf {
		t.Errorf("second edit id %q (edit of %q) vs first %q", again.Message.ID, again.Message.EditOf, res.Message.ID)
	}
	if re := run(t, raw); re.Message.ID != res.Message.ID {
		t.Errorf("redelivered edit got id %q, first %q", re.Message.ID, res.Message.ID)
	}
}

func TestStart(t *testing.T) {
	cmd := func(n int) string { return `,"entities":[{"type":"bot_command","offset":0,"length":` + itoa(n) + `}]` }
	long := strings.Repeat("a", 64)
	tests := []struct {
		name      string
		text      string
		start     *StartCommand
		relayText string // "" when nothing is relayed
	}{
		{"bare", "/start", &StartCommand{}, ""},
		{"with payload", "/start ref_42", &StartCommand{Payload: "ref_42"}, ""},
		{"payload at the 64-character limit", "/start " + long, &StartCommand{Payload: long}, ""},
		{"addressed to this bot", "/start@Support_Bot ref-7", &StartCommand{Payload: "ref-7"}, ""},
		{"addressed to another bot", "/start@other_bot ref", nil, "/start@other_bot ref"},
		{"typed words after /start are relayed", "/start I need help!", &StartCommand{}, "/start I need help!"},
		{"payload too long is relayed", "/start " + long + "b", &StartCommand{}, "/start " + long + "b"},
		{"not the start command", "/started", nil, "/started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(tt.text)
			res := run(t, update("message", `,"text":`+string(b)+cmd(len(strings.Fields(tt.text)[0]))))
			if !reflect.DeepEqual(res.Start, tt.start) {
				t.Errorf("start = %+v, want %+v", res.Start, tt.start)
			}
			switch {
			case tt.relayText == "" && res.Message != nil:
				t.Errorf("relayed %q, want nothing", res.Message.Text)
			case tt.relayText != "" && (res.Message == nil || res.Message.Text != tt.relayText):
				t.Errorf("relayed %s, want %q", dump(res.Message), tt.relayText)
			}
			if res.Kind != Private || res.Contact != annUser {
				t.Errorf("kind %v contact %+v", res.Kind, res.Contact)
			}
		})
	}

	t.Run("edited /start does nothing", func(t *testing.T) {
		res := run(t, update("edited_message", `,"edit_date":1767225999,"text":"/start x"`))
		if res.Kind != Private || res.Start != nil || res.Message != nil {
			t.Errorf("edited /start gave %s", dump(res))
		}
	})
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		isNew      bool
		relayText  string
	}{
		{"bare", "/new", true, ""},
		{"addressed to this bot", "/new@Support_Bot", true, ""},
		{"with words, relayed as typed", "/new my printer broke", true, "/new my printer broke"},
		{"addressed to another bot", "/new@other_bot", false, "/new@other_bot"},
		{"not the command", "/newton", false, "/newton"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(tt.text)
			res := run(t, update("message", `,"text":`+string(b)))
			if res.New != tt.isNew {
				t.Errorf("new = %t, want %t", res.New, tt.isNew)
			}
			switch {
			case tt.relayText == "" && res.Message != nil:
				t.Errorf("relayed %q, want nothing", res.Message.Text)
			case tt.relayText != "" && (res.Message == nil || res.Message.Text != tt.relayText):
				t.Errorf("relayed %s, want %q", dump(res.Message), tt.relayText)
			}
		})
	}
	t.Run("edited /new does nothing", func(t *testing.T) {
		res := run(t, update("edited_message", `,"edit_date":1767225999,"text":"/new"`))
		if res.New || res.Message != nil {
			t.Errorf("edited /new gave %s", dump(res))
		}
	})
}

func TestTap(t *testing.T) {
	res := run(t, `{"update_id":1,"callback_query":{"id":"q1","from":`+ann+`,"chat_instance":"c","data":"r.abc.4.mac",`+
		`"message":{"message_id":77,"chat":`+annChat+`,"date":1,"text":"How did we do?"}}}`)
	if res.Kind != Tap || res.ChatID != chatID || res.Tap == nil ||
		*res.Tap != (ButtonTap{QueryID: "q1", Data: "r.abc.4.mac", MessageID: 77, UserID: annUser.TelegramUserID}) {
		t.Fatalf("tap: %s", dump(res))
	}
	group := run(t, `{"update_id":1,"callback_query":{"id":"q2","from":`+ann+`,"chat_instance":"c","data":"x",`+
		`"message":{"message_id":7,"chat":{"id":-42,"type":"group","title":"Team"},"date":1,"text":"hi"}}}`)
	if group.Kind != Ignored {
		t.Errorf("a tap in a group: %s", dump(group))
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestIgnored(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		chatID int64
		reason string
	}{
		{"group", `{"update_id":1,"message":{"message_id":1,"from":` + ann + `,"chat":{"id":-42,"type":"group","title":"Team"},"date":1,"text":"/start"}}`, -42, "group"},
		{"supergroup", `{"update_id":1,"message":{"message_id":1,"from":` + ann + `,"chat":{"id":-10042,"type":"supergroup","title":"Team"},"date":1,"text":"hi"}}`, -10042, "supergroup"},
		{"channel post", `{"update_id":1,"channel_post":{"message_id":1,"chat":{"id":-10077,"type":"channel","title":"News"},"date":1,"text":"hi"}}`, -10077, "channel"},
		{"callback query without a message", `{"update_id":1,"callback_query":{"id":"q","from":` + ann + `,"chat_instance":"c","data":"x"}}`, 0, "callback"},
		{"bot blocked", `{"update_id":1,"my_chat_member":{"chat":` + annChat + `,"from":` + ann + `,"date":1,` +
			`"old_chat_member":{"status":"member","user":` + botUser + `},"new_chat_member":{"status":"kicked","user":` + botUser + `,"until_date":0}}}`, chatID, "membership"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.raw)
			if res.Kind != Ignored || res.Message != nil || res.Start != nil {
				t.Fatalf("got %s, want ignored", dump(res))
			}
			if res.ChatID != tt.chatID || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("chat %d reason %q; want chat %d and a reason mentioning %q", res.ChatID, res.Reason, tt.chatID, tt.reason)
			}
		})
	}
}

func TestRaw(t *testing.T) {
	// An unknown forward_origin type makes telego reject the whole update.
	poison := `{"update_id":77,"message":{"message_id":31,"from":` + ann + `,"chat":` + annChat +
		`,"date":1767225600,"forward_origin":{"type":"alien","date":1},"text":"hello"}}`
	var u telego.Update
	decodeErr := json.Unmarshal([]byte(poison), &u)
	if decodeErr == nil {
		t.Fatal("telego decoded the poison update; the test needs one it rejects")
	}

	tests := []struct {
		name string
		raw  string
		kind Kind
		chat int64
		want *sdk.Message
	}{
		{
			name: "private message telego cannot decode keeps its text",
			raw:  poison, kind: Private, chat: chatID,
			want: &sdk.Message{ID: "tg:5551234:31", Time: sent, Kind: sdk.KindText, Text: "hello", TelegramMessageID: 31},
		},
		{
			name: "names new content",
			raw:  `{"update_id":78,"message":{"message_id":32,"from":` + ann + `,"chat":` + annChat + `,"date":1767225600,"caption":"see","hologram":{"v":1}}}`,
			kind: Private, chat: chatID,
			want: &sdk.Message{ID: "tg:5551234:32", Time: sent, Kind: sdk.KindUnsupported,
				Text: "unsupported message type hologram\nsee", TelegramMessageID: 32},
		},
		{
			name: "edited",
			raw:  `{"update_id":79,"edited_message":{"message_id":33,"chat":{"id":5551234},"date":1767225600,"edit_date":1767225700,"hologram":{}}}`,
			kind: Private, chat: chatID,
			want: &sdk.Message{ID: "tg:5551234:33:edit:1767225700", EditOf: "tg:5551234:33", Time: time.Unix(1767225700, 0).UTC(),
				Kind: sdk.KindUnsupported, Text: "unsupported message type hologram", TelegramMessageID: 33},
		},
		{
			name: "group",
			raw:  `{"update_id":80,"message":{"message_id":1,"chat":{"id":-5,"type":"group"},"date":1,"hologram":{}}}`,
			kind: Ignored, chat: -5,
		},
		{
			name: "not a message",
			raw:  `{"update_id":81,"chat_member":{"chat":{"id":-5,"type":"group"},"new_chat_member":{"status":"weird"}}}`,
			kind: Ignored,
		},
		{
			name: "not JSON",
			raw:  `{"update_id":82,`,
			kind: Ignored,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Raw(77, json.RawMessage(tt.raw), decodeErr)
			if res.Kind != tt.kind || res.ChatID != tt.chat {
				t.Fatalf("kind %v chat %d (%s); want %v chat %d", res.Kind, res.ChatID, res.Reason, tt.kind, tt.chat)
			}
			if tt.want == nil {
				if res.Message != nil || res.Reason == "" {
					t.Errorf("ignored result has message %v / reason %q", res.Message, res.Reason)
				}
				return
			}
			if res.Contact.TelegramUserID != chatID {
				t.Errorf("contact = %+v", res.Contact)
			}
			assertMessage(t, res.Message, *tt.want)
		})
	}
}
