package slackchannel_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestFirstDeliveryPostsHeaderThenReplies(t *testing.T) {
	e := newEnv(t, nil)
	conv, contact := plugintest.SampleConversation(), plugintest.SampleContact()
	conv.StartPayload = "promo-2024"
	contact.PhotoURL = "https://parley.example/files/photo-signed"
	resp, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{Conversation: conv, Contact: contact, Message: text("Where is my order?")})
	ref := plugintest.AssertDelivered(t, resp, err)

	roots := e.fake.Roots(slackfake.ChannelID)
	if len(roots) != 1 {
		t.Fatalf("%d top-level messages, want the one header", len(roots))
	}
	header := roots[0]
	if got, want := string(ref), slackfake.ChannelID+":"+header.TS; got != want {
		t.Errorf("thread ref %q, want %q", got, want)
	}
	for _, want := range []string{
		"Иван Petrov",                   // name
		"<https://t.me/ivan_p|@ivan_p>", // @username linked to t.me
		"ru",                            // language
		"100200300",                     // Telegram id
		"promo-2024",                    // deep-link payload
		"<!date^" + strconv.FormatInt(conv.StartedAt.Unix(), 10), // start time
	} {
		if !strings.Contains(blockText(t, header.Blocks), want) {
			t.Errorf("header blocks lack %q:\n%s", want, blockText(t, header.Blocks))
		}
	}
	replies := e.fake.Thread(slackfake.ChannelID, header.TS)
	if len(replies) != 1 {
		t.Fatalf("%d replies in the thread, want 1", len(replies))
	}
	r := replies[0]
	if r.Text != "Where is my order?" || r.Username != "Иван Petrov" || r.IconURL != contact.PhotoURL {
		t.Errorf("reply text %q as %q icon %q; want the message under the customer's name and photo", r.Text, r.Username, r.IconURL)
	}
	if resp.DeskMessageID != r.TS {
		t.Errorf("desk message id %q, want the reply's ts %q", resp.DeskMessageID, r.TS)
	}

	// Later messages reply in the same thread.
	again := e.deliver(text("Hello?"), ref)
	if !bytes.Equal(again.ThreadRef, ref) {
		t.Errorf("second delivery returned ref %q, want %q", again.ThreadRef, ref)
	}
	if n := len(e.fake.Thread(slackfake.ChannelID, header.TS)); n != 2 {
		t.Errorf("%d replies after the second message, want 2", n)
	}

	// A second user gets a second thread.
	other := plugintest.SampleContact()
	other.TelegramUserID, other.FirstName, other.Username = 555, "Maria", "maria"
	resp2, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{Conversation: sdk.Conversation{ID: "c2", StartedAt: time.Now()},
		Contact: other, Message: text("Hi")})
	ref2 := plugintest.AssertDelivered(t, resp2, err)
	if bytes.Equal(ref2, ref) || len(e.fake.Roots(slackfake.ChannelID)) != 2 {
		t.Errorf("second conversation: ref %q (first %q), %d roots; want its own thread", ref2, ref, len(e.fake.Roots(slackfake.ChannelID)))
	}
}

// blockText is every text of a blocks JSON, one per line.
func blockText(t *testing.T, blocks string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocks), &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}

func TestMessageRendering(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("start"), nil).ThreadRef
	samples := map[string]sdk.Message{}
	for _, m := range plugintest.SampleMessages() {
		samples[m.ID] = m
	}
	tests := []struct {
		name string
		msg  sdk.Message
		want []string
		not  []string
	}{
		{"formatting and escaping", samples["sample-text"],
			[]string{"*Hello*", "&lt;team&gt; &amp;", "_my order `#42`_", "https://example.com"}, []string{"<team>"}},
		{"channel ping is inert", sdk.Message{ID: "ping", Kind: sdk.KindText, Text: "<!channel> look"},
			[]string{"&lt;!channel&gt; look"}, []string{"<!channel>"}},
		{"strike, pre and link", sdk.Message{ID: "f", Kind: sdk.KindText, Text: "old code here",
			Entities: []sdk.Entity{{Type: "strikethrough", Offset: 0, Length: 3}, {Type: "pre", Offset: 4, Length: 4},
				{Type: "text_link", Offset: 9, Length: 4, URL: "https://shop.example/a?b=1&c=2"}}},
			[]string{"~old~", "```code```", "<https://shop.example/a?b=1&amp;c=2|here>"}, nil},
		{"location as map link", samples["sample-location"], []string{"<https://www.openstreetmap.org/?mlat=52.520008", "📍"}, nil},
		{"venue names the place", samples["sample-venue"], []string{"Central Station Europaplatz 1"}, nil},
		{"contact", samples["sample-contact"], []string{"📇 _contact: Anna Smith, +49 30 1234567_"}, nil},
		{"poll", samples["sample-poll"], []string{"📊 _poll: Which day suits you?_", "• Monday", "• Tuesday"}, nil},
		{"sticker", samples["sample-sticker"], []string{"🏷️ _sticker 👍_"}, nil},
		{"forward and quote", samples["sample-forward"], []string{"↪️ _forwarded from Shop Bot_", "> _replying to agent:_ Hello"}, nil},
		{"edit shown as edited", samples["sample-edit"], []string{"✏️ _edited_", "(edited)"}, nil},
		{"notice", samples["sample-notice"], []string{"⚠️ _The user blocked the bot"}, nil},
		{"file link with name and size", samples["sample-document"],
			[]string{"📎 <http://127.0.0.1:1/files/signed-file-document|invoice \"May\".pdf> (120 KiB)"}, nil},
		{"too large file is a warning", samples["sample-document-too-large"],
			[]string{"⚠️ _file too large for Telegram bots to fetch: backup.zip (25 MiB)_"}, []string{"<http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.deliver(tt.msg, ref)
			var got string
			for _, m := range e.fake.Messages(slackfake.ChannelID) {
				if m.TS == resp.DeskMessageID {
					got = m.Text
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("message lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("message contains %q:\n%s", n, got)
				}
			}
		})
	}
}

func TestWithoutCustomizeScopeNameLeadsText(t *testing.T) {
	scopes := []string{"chat:write", "channels:history", "channels:read", "users:read", "files:read"}
	e := newEnv(t, nil, slackfake.WithBotScopes(scopes...))
	resp := e.deliver(text("hi"), nil)
	for _, m := range e.fake.Messages(slackfake.ChannelID) {
		if m.TS == resp.DeskMessageID {
			if m.Text != "*Иван Petrov*: hi" {
				t.Errorf("text %q, want the customer's name leading it", m.Text)
			}
			if m.Args["username"] != "" {
				t.Errorf("sent username %q though Slack would ignore it", m.Args["username"])
			}
			return
		}
	}
	t.Fatal("reply not found")
}

func TestUploadFiles(t *testing.T) {
	e := newEnv(t, func(c map[string]any) { c["upload_files"] = true })
	data := bytes.Repeat([]byte("invoice bytes "), 1000)
	e.host.AddFile("file-document", "invoice.pdf", "application/pdf", data)
	ref := e.deliver(text("start"), nil).ThreadRef
	msg := sdk.Message{ID: "doc", Kind: sdk.KindDocument, Text: "Document: invoice.pdf",
		Attachments: []sdk.Attachment{
			{Kind: "document", Name: "invoice.pdf", MIMEType: "application/pdf", Size: int64(len(data)), FileRef: "file-document", URL: "http://127.0.0.1:1/files/x"},
			{Kind: "document", Name: "backup.zip", Size: 25 << 20, TooLarge: true},
		}}
	e.deliver(msg, ref)

	files := e.fake.Files()
	if len(files) != 1 {
		t.Fatalf("%d files uploaded, want 1", len(files))
	}
	f := files[0]
	if !f.Complete || f.Name != "invoice.pdf" || !bytes.Equal(f.Content, data) || f.ThreadTS != parentTS(t, ref) {
		t.Errorf("upload %+v (%d bytes): want the complete file in the thread", f.Name, len(f.Content))
	}
	thread := e.fake.Thread(slackfake.ChannelID, parentTS(t, ref))
	all := ""
	for _, m := range thread {
		all += m.Text + "\n"
	}
	if strings.Contains(all, "http://127.0.0.1:1/files/x") {
		t.Errorf("an uploaded file was also linked:\n%s", all)
	}
	if !strings.Contains(all, "backup.zip (25 MiB)") {
		t.Errorf("too-large file has no warning:\n%s", all)
	}
}

func TestDeliverErrors(t *testing.T) {
	tests := []struct {
		name      string
		inject    func(f *slackfake.Fake)
		retry     time.Duration // > 0: want a retry hint of this
		permanent bool
	}{
		{"ratelimited with Retry-After", func(f *slackfake.Fake) { f.Inject429("chat.postMessage", 1, 7) }, 7 * time.Second, false},
		{"ratelimited without header", func(f *slackfake.Fake) { f.Inject429("chat.postMessage", 1, -1) }, 30 * time.Second, false},
		{"invalid_auth", func(f *slackfake.Fake) { f.InjectError("chat.postMessage", "invalid_auth", 1) }, 0, true},
		{"channel_not_found", func(f *slackfake.Fake) { f.InjectError("chat.postMessage", "channel_not_found", 1) }, 0, true},
		{"archived channel", func(f *slackfake.Fake) { f.ArchiveChannel(slackfake.ChannelID) }, 0, true},
		{"revoked token", func(f *slackfake.Fake) { f.RevokeToken(slackfake.BotToken) }, 0, true},
		{"Slack outage", func(f *slackfake.Fake) { f.InjectHTTP("chat.postMessage", 503, 1) }, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ref := e.deliver(text("start"), nil).ThreadRef
			tt.inject(e.fake)
			_, err := e.ch.Deliver(ctx(t), plugintest.SampleDeliver(text("again"), ref))
			if err == nil {
				t.Fatal("delivery succeeded")
			}
			hint, hinted := sdk.RetryHint(err)
			switch {
			case tt.retry > 0:
				if !hinted || hint != tt.retry {
					t.Errorf("retry hint %v (%v), want %v: %v", hint, hinted, tt.retry, err)
				}
			case tt.permanent:
				plugintest.AssertPermanent(t, err)
			default:
				plugintest.AssertTemporary(t, err)
			}
			plugintest.AssertNoSecret(t, err.Error(), slackfake.BotToken)
		})
	}
}
