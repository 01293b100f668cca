package telegramtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

// TestEveryKindOfUpdateReachesTelego pushes each kind of message the host must handle and checks
// telego decodes it from the fake's getUpdates with the content intact.
func TestEveryKindOfUpdateReachesTelego(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	ann := s.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	bob := s.AddUser(telego.User{FirstName: "Bob"})
	group := s.AddGroup(telego.Chat{Title: "Support"})
	docID, docUnique := s.AddFile([]byte("%PDF"), "invoice.pdf", "application/pdf")
	fileID, fileUnique := s.AddFile([]byte("media"), "clip.mp4", "video/mp4")

	msg := func(chatID int64, edit func(*telego.Message)) telego.Update {
		m := s.NewMessage(chatID, ann.ID)
		edit(&m)
		return telego.Update{Message: &m}
	}
	cases := []struct {
		name  string
		u     telego.Update
		check func(telego.Update) bool
	}{
		{"document", msg(ann.ID, func(m *telego.Message) {
			m.Document = &telego.Document{FileID: docID, FileUniqueID: docUnique, FileName: "invoice.pdf", MimeType: "application/pdf", FileSize: 4}
		}), func(u telego.Update) bool { return u.Message.Document.FileName == "invoice.pdf" }},
		{"audio", msg(ann.ID, func(m *telego.Message) {
			m.Audio = &telego.Audio{FileID: fileID, FileUniqueID: fileUnique, Duration: 3, Title: "Song"}
		}), func(u telego.Update) bool { return u.Message.Audio.Title == "Song" }},
		{"voice", msg(ann.ID, func(m *telego.Message) {
			m.Voice = &telego.Voice{FileID: fileID, FileUniqueID: fileUnique, Duration: 2, MimeType: "audio/ogg"}
		}), func(u telego.Update) bool { return u.Message.Voice.MimeType == "audio/ogg" }},
		{"video", msg(ann.ID, func(m *telego.Message) {
			m.Video = &telego.Video{FileID: fileID, FileUniqueID: fileUnique, Width: 640, Height: 360, Duration: 5}
		}), func(u telego.Update) bool { return u.Message.Video.Width == 640 }},
		{"video note", msg(ann.ID, func(m *telego.Message) {
			m.VideoNote = &telego.VideoNote{FileID: fileID, FileUniqueID: fileUnique, Length: 240, Duration: 5}
		}), func(u telego.Update) bool { return u.Message.VideoNote.Length == 240 }},
		{"animation", msg(ann.ID, func(m *telego.Message) {
			m.Animation = &telego.Animation{FileID: fileID, FileUniqueID: fileUnique, Width: 1, Height: 1}
			m.Document = &telego.Document{FileID: fileID, FileUniqueID: fileUnique}
		}), func(u telego.Update) bool { return u.Message.Animation != nil && u.Message.Document != nil }},
		{"sticker", msg(ann.ID, func(m *telego.Message) {
			m.Sticker = &telego.Sticker{FileID: fileID, FileUniqueID: fileUnique, Type: "regular", Width: 512, Height: 512, Emoji: "👍"}
		}), func(u telego.Update) bool { return u.Message.Sticker.Emoji == "👍" }},
		{"location", msg(ann.ID, func(m *telego.Message) { m.Location = &telego.Location{Latitude: 52.52, Longitude: 13.4} }),
			func(u telego.Update) bool { return u.Message.Location.Latitude == 52.52 }},
		{"venue", msg(ann.ID, func(m *telego.Message) {
			loc := telego.Location{Latitude: 1, Longitude: 2}
			m.Location = &loc
			m.Venue = &telego.Venue{Location: loc, Title: "Cafe", Address: "Main St 1"}
		}), func(u telego.Update) bool { return u.Message.Venue.Title == "Cafe" }},
		{"contact", msg(ann.ID, func(m *telego.Message) { m.Contact = &telego.Contact{PhoneNumber: "+4912345", FirstName: "Carl"} }),
			func(u telego.Update) bool { return u.Message.Contact.PhoneNumber == "+4912345" }},
		{"poll", msg(ann.ID, func(m *telego.Message) {
			m.Poll = &telego.Poll{ID: "p1", Question: "Ok?", Type: "regular", Options: []telego.PollOption{{Text: "yes"}, {Text: "no"}}}
		}), func(u telego.Update) bool { return len(u.Message.Poll.Options) == 2 }},
		{"forward", msg(ann.ID, func(m *telego.Message) {
			m.Text = "fwd"
			m.ForwardOrigin = &telego.MessageOriginUser{Type: telego.OriginTypeUser, Date: 1, SenderUser: bob}
		}), func(u telego.Update) bool {
			o, ok := u.Message.ForwardOrigin.(*telego.MessageOriginUser)
			return ok && o.SenderUser.ID == bob.ID
		}},
		{"reply", msg(ann.ID, func(m *telego.Message) {
			m.Text = "answer"
			m.ReplyToMessage = &telego.Message{MessageID: 1, Chat: m.Chat, Date: 1, Text: "question"}
		}), func(u telego.Update) bool { return u.Message.ReplyToMessage.Text == "question" }},
		{"album part", msg(ann.ID, func(m *telego.Message) {
			m.MediaGroupID = "13912345678901234"
			m.Photo = []telego.PhotoSize{{FileID: fileID, FileUniqueID: fileUnique, Width: 90, Height: 90}}
		}), func(u telego.Update) bool { return u.Message.MediaGroupID == "13912345678901234" }},
		{"group message", msg(group.ID, func(m *telego.Message) { m.Text = "/help@parley_test_bot" }),
			func(u telego.Update) bool {
				return u.Message.Chat.Type == telego.ChatTypeSupergroup && u.Message.Chat.Title == "Support"
			}},
		{"edit", telego.Update{EditedMessage: &telego.Message{MessageID: 1, Chat: telego.Chat{ID: ann.ID, Type: "private"}, Date: 1, EditDate: 2, Text: "fixed"}},
			func(u telego.Update) bool { return u.EditedMessage.Text == "fixed" }},
	}
	for _, c := range cases {
		s.MustPushUpdate(c.u)
	}
	photo := s.SendPhoto(ann.ID, []byte("not really a jpeg"), "receipt")
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != len(cases)+1 {
		t.Fatalf("got %d updates, want %d", len(ups), len(cases)+1)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !c.check(ups[i]) {
				raw, _ := json.Marshal(ups[i])
				t.Fatalf("decoded update lost its content: %s", raw)
			}
		})
	}
	p := ups[len(ups)-1].Message.Photo
	if len(p) < 2 || p[0].Width >= p[len(p)-1].Width || p[len(p)-1].FileID != photo.Photo[len(photo.Photo)-1].FileID {
		t.Fatalf("photo sizes not ascending: %+v", p)
	}
}

func TestUnknownUpdateIsPassedAsIs(t *testing.T) {
	s := start(t, telegramtest.Options{})
	id := s.MustPushUpdate(`{"update_id":1,"brand_new_update":{"x":1}}`)
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/getUpdates", "application/json", strings.NewReader("null"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		OK     bool              `json:"ok"`
		Result []json.RawMessage `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || !env.OK || len(env.Result) != 1 {
		t.Fatalf("envelope %+v, %v", env, err)
	}
	var got map[string]any
	_ = json.Unmarshal(env.Result[0], &got)
	if got["update_id"] != float64(id) || got["brand_new_update"] == nil {
		t.Fatalf("update = %s", env.Result[0])
	}
	if _, err := s.PushUpdate("not json"); err == nil {
		t.Fatal("PushUpdate accepted a non-object")
	}
}

func TestNegativeOffsetAndLimit(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	for range 150 {
		s.SendText(u.ID, "x")
	}
	ups, err := b.GetUpdates(t.Context(), nil)
	if err != nil || len(ups) != 100 {
		t.Fatalf("default limit: %d, %v", len(ups), err)
	}
	ups, err = b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: -1})
	if err != nil || len(ups) != 1 || s.Pending() != 1 {
		t.Fatalf("offset -1: %d updates, %d pending, %v", len(ups), s.Pending(), err)
	}
}

func TestWebhookDeliveryAndRedelivery(t *testing.T) {
	var mu sync.Mutex
	var got []string
	fail := 2
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if fail > 0 {
			fail--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var u telego.Update
		_ = json.Unmarshal(body, &u)
		got = append(got, u.Message.Text)
	}))
	defer hook.Close()

	s := start(t, telegramtest.Options{WebhookRetryDelay: 10 * time.Millisecond})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "first")
	s.SendText(u.ID, "second")
	if err := b.SetWebhook(t.Context(), &telego.SetWebhookParams{URL: hook.URL + "/hook", SecretToken: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the webhook takes every pending update", func() bool { return s.Pending() == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "first" || got[1] != "second" {
		t.Fatalf("webhook received %v, want [first second] after two failures", got)
	}
	info, err := b.GetWebhookInfo(t.Context())
	if err != nil || info.URL != hook.URL+"/hook" || !strings.Contains(info.LastErrorMessage, "500") {
		t.Fatalf("webhook info %+v, %v", info, err)
	}
}

func TestStrictWebhook(t *testing.T) {
	s := start(t, telegramtest.Options{StrictWebhook: true})
	err := bot(t, s, "").SetWebhook(t.Context(), &telego.SetWebhookParams{URL: "http://127.0.0.1:9/hook"})
	if e := apiErr(t, err); !strings.Contains(e.Description, "HTTPS URL must be provided") {
		t.Fatalf("plain-HTTP webhook: %v", err)
	}
}

func TestConcurrentPushAndPoll(t *testing.T) {
	s := start(t, telegramtest.Options{})
	b := bot(t, s, "")
	u := s.AddUser(telego.User{})
	const n = 500
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range n / 4 {
				s.SendText(u.ID, strings.Repeat("x", w+i%3+1))
			}
		})
	}
	seen := map[int]bool{}
	offset := 0
	for len(seen) < n {
		ups, err := b.GetUpdates(t.Context(), &telego.GetUpdatesParams{Offset: offset, Timeout: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, up := range ups {
			if seen[up.UpdateID] {
				t.Fatalf("update %d delivered after confirmation", up.UpdateID)
			}
			seen[up.UpdateID] = true
			offset = up.UpdateID + 1
		}
	}
	wg.Wait()
}

func BenchmarkPushAndPoll(b *testing.B) {
	s := telegramtest.New(telegramtest.Options{})
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := telego.NewBot(s.Token(), telego.WithAPIServer(s.URL()), telego.WithHTTPClient(&http.Client{}), telego.WithDiscardLogger())
	if err != nil {
		b.Fatal(err)
	}
	u := s.AddUser(telego.User{})
	offset := 0
	b.ResetTimer()
	for b.Loop() {
		for range 100 {
			s.SendText(u.ID, "hello")
		}
		for got := 0; got < 100; {
			ups, err := c.GetUpdates(b.Context(), &telego.GetUpdatesParams{Offset: offset})
			if err != nil {
				b.Fatal(err)
			}
			got += len(ups)
			offset = ups[len(ups)-1].UpdateID + 1
		}
	}
}
