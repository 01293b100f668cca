package hipchatchannel_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/sdk"
)

func TestAgentRepliesThroughTheRegisteredWebhook(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"register_webhook": true, "bot_mention": "parley"})
	// Configuring again must not register a second hook (replies twice).
	if resp := e.configure(t, map[string]any{"server_url": e.fake.URL(), "room": itoa(e.fake.RoomID()), "token": e.fake.Token(),
		"webhook_secret": secret, "register_webhook": true, "bot_mention": "parley"}); len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	hooks := e.fake.Webhooks(e.fake.RoomID())
	if len(hooks) != 1 || hooks[0].Event != "room_message" || !strings.HasSuffix(hooks[0].URL, "/hooks/hipchat/"+secret) {
		t.Fatalf("webhooks %+v, want one room_message hook at the secret path", hooks)
	}
	if _, err := e.deliver(t, 42, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "Where is my order?"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		text       string
		delivered  bool   // HipChat's pattern lets it through
		wantReply  string // text of the reply the host gets, "" for none
		wantNotice string // color of the answer posted in the room, "" for none
	}{
		{name: "handle and text", text: "#42 Your parcel ships today", delivered: true, wantReply: "Your parcel ships today"},
		{name: "multi-line", text: "#42 Line one\nLine two", delivered: true, wantReply: "Line one\nLine two"},
		{name: "bot mention", text: "@parley #42 via mention", delivered: true, wantReply: "via mention"},
		{name: "chatter never leaves HipChat", text: "lunch anyone?", delivered: false},
		{name: "no number", text: "#abc hello", delivered: true, wantNotice: "gray"},
		{name: "no text", text: "#42", delivered: true, wantNotice: "gray"},
		{name: "mention without handle", text: "@parley hello", delivered: true, wantNotice: "gray"},
		{name: "unknown handle", text: "#999 hello", delivered: true, wantNotice: "red"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replies := len(e.host.Replies())
			notes := len(e.fake.Notifications(e.fake.RoomID()))
			ds := e.say(t, tt.text, nil)
			if (len(ds) > 0) != tt.delivered {
				t.Fatalf("%d deliveries, want delivered=%v", len(ds), tt.delivered)
			}
			for _, d := range ds {
				if d.Status/100 != 2 {
					t.Errorf("webhook answered %d: %s", d.Status, d.Response)
				}
			}
			got := e.host.Replies()[replies:]
			if tt.wantReply == "" && len(got) > 0 {
				t.Errorf("unexpected replies %+v", got)
			}
			if tt.wantReply != "" {
				if len(got) != 1 {
					t.Fatalf("%d replies, want 1", len(got))
				}
				r := got[0]
				if string(r.ThreadRef) != "42" || r.Text != tt.wantReply || r.Author != "Anna Agent" || r.ExternalID == "" || r.Format != sdk.FormatPlain {
					t.Errorf("reply %+v", r)
				}
			}
			added := e.fake.Notifications(e.fake.RoomID())[notes:]
			switch {
			case tt.wantNotice == "" && len(added) > 0:
				t.Errorf("unexpected notifications %+v", added)
			case tt.wantNotice != "":
				if len(added) != 1 || added[0].Color != tt.wantNotice || !strings.Contains(added[0].Message, "#42 your answer") {
					t.Errorf("notifications %+v, want one %s help", added, tt.wantNotice)
				}
			}
		})
	}
	// None of the plugin's own notifications came back as a reply.
	for _, r := range e.host.Replies() {
		if strings.Contains(r.Text, "Where is my order") {
			t.Errorf("own notification looped back: %+v", r)
		}
	}
}

func TestOwnMessagesAndNotificationsAreNotReplies(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"register_webhook": true})
	if _, err := e.deliver(t, 42, sdk.Message{ID: "m", Kind: sdk.KindText, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	bot := e.fake.AddUser("Parley Bot", "parley")
	if resp := e.configure(t, map[string]any{"server_url": e.fake.URL(), "room": itoa(e.fake.RoomID()), "token": e.fake.Token(),
		"webhook_secret": secret, "register_webhook": true, "bot_user_id": bot.ID}); len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	if _, ds, err := e.fake.SendRoomMessage(t.Context(), e.fake.RoomID(), hipchatfake.Message{UserID: bot.ID, Text: "#42 echo of myself"}); err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, err %v", ds, err)
	}
	// A room_notification hook (someone else's, no pattern) sends every
	// notification, ours included, which start with "#42".
	body, err := e.fake.RoomMessagePayload(e.fake.RoomID(), hipchatfake.Message{Text: "#42 typed"})
	if err != nil {
		t.Fatal(err)
	}
	notif := strings.Replace(strings.Replace(string(body), `"room_message"`, `"room_notification"`, 1), `"type":"message"`, `"type":"notification"`, 1)
	resp, err := e.ch.HandleWebhook(t.Context(), sdk.WebhookRequest{Method: "POST", Path: "/" + secret, Body: []byte(notif)})
	if err != nil || resp.Status/100 != 2 {
		t.Fatalf("status %d err %v", resp.Status, err)
	}
	if got := e.host.Replies(); len(got) != 0 {
		t.Errorf("replies %+v, want none", got)
	}
}

func TestWebhookAuthentication(t *testing.T) {
	tests := []struct {
		name   string
		auth   string // webhook authentication
		path   string
		mode   hipchatfake.JWTMode
		status int
	}{
		{name: "secret path", auth: "none", path: "/" + secret, status: 204},
		{name: "wrong path", auth: "none", path: "/guess", status: 401},
		{name: "no path", auth: "none", path: "", status: 401},
		{name: "JWT in header", auth: "jwt", path: "", status: 204},
		{name: "JWT as signed_request", auth: "jwt", path: "", mode: hipchatfake.JWTMode{InQuery: true}, status: 204},
		{name: "expired JWT", auth: "jwt", path: "", mode: hipchatfake.JWTMode{Fault: hipchatfake.JWTExpired}, status: 401},
		{name: "JWT with another secret", auth: "jwt", path: "", mode: hipchatfake.JWTMode{Fault: hipchatfake.JWTBadSignature}, status: 401},
		{name: "JWT from another issuer", auth: "jwt", path: "", mode: hipchatfake.JWTMode{Fault: hipchatfake.JWTWrongIssuer}, status: 401},
		{name: "missing JWT", auth: "jwt", path: "", mode: hipchatfake.JWTMode{Fault: hipchatfake.JWTMissing}, status: 401},
		{name: "stale JWT (iat an hour ago, exp ahead)", auth: "jwt", path: "", mode: hipchatfake.JWTMode{Fault: hipchatfake.JWTStale}, status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, err := hipchatfake.New(hipchatfake.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer fake.Close()
			key := secret
			if tt.auth == "jwt" {
				key = fake.OAuthSecret() // the add-on's OAuth secret keys its JWTs
			}
			e := newEnvWith(t, fake, key)
			if _, err := e.deliver(t, 42, sdk.Message{ID: "m", Kind: sdk.KindText, Text: "hi"}); err != nil {
				t.Fatal(err)
			}
			registerHook(t, fake, e.hook+tt.path, tt.auth)
			fake.SetJWTMode(tt.mode)
			ds := e.say(t, "#42 thanks", nil)
			if len(ds) != 1 || ds[0].Status != tt.status {
				t.Fatalf("deliveries %+v, want one answered %d", ds, tt.status)
			}
			if got := len(e.host.Replies()); (got == 1) != (tt.status == 204) {
				t.Errorf("%d replies stored", got)
			}
		})
	}
}

func TestAgentFileReachesTheUser(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"register_webhook": true})
	if _, err := e.deliver(t, 42, sdk.Message{ID: "m", Kind: sdk.KindText, Text: "label?"}); err != nil {
		t.Fatal(err)
	}
	data := []byte("%PDF-1.4 shipping label")
	e.say(t, "#42 here is your label", &hipchatfake.File{Name: "label.pdf", ContentType: "application/pdf", Data: data})
	got := e.host.Replies()
	if len(got) != 1 || len(got[0].Attachments) != 1 || got[0].Text != "here is your label" {
		t.Fatalf("replies %+v", got)
	}
	a := got[0].Attachments[0]
	if a.Name != "label.pdf" || a.Size != int64(len(data)) {
		t.Errorf("attachment %+v", a)
	}
	rc, info, err := e.ch.OpenAttachment(t.Context(), a.Ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	body, _ := io.ReadAll(rc)
	if string(body) != string(data) || info.Name != "label.pdf" || info.MIMEType != "application/pdf" {
		t.Errorf("opened %q as %+v", body, info)
	}
}

func TestConfigureReportsProblemsByKey(t *testing.T) {
	fake, err := hipchatfake.New(hipchatfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	e := newEnvWith(t, fake, secret)
	base := func() map[string]any {
		return map[string]any{"server_url": fake.URL(), "room": itoa(fake.RoomID()), "token": fake.Token(), "webhook_secret": secret}
	}
	tests := []struct {
		name   string
		change map[string]any
		key    string
	}{
		{"unknown key", map[string]any{"chanel": "x"}, "chanel"},
		{"short secret", map[string]any{"webhook_secret": "short"}, "webhook_secret"},
		{"bad color", map[string]any{"color": "blue"}, "color"},
		{"wrong token", map[string]any{"token": "nope"}, "token"},
		{"unknown room", map[string]any{"room": "No Such Room"}, "room"},
		{"room token cannot register the webhook", map[string]any{"token": fake.RoomToken(), "register_webhook": true}, "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			for k, v := range tt.change {
				cfg[k] = v
			}
			resp := e.configure(t, cfg)
			if len(resp.Errors) != 1 || resp.Errors[0].Key != tt.key {
				t.Fatalf("errors %+v, want one on %q", resp.Errors, tt.key)
			}
			if strings.Contains(resp.Errors[0].Message, fake.Token()) || strings.Contains(resp.Errors[0].Message, secret) {
				t.Errorf("error leaks a secret: %q", resp.Errors[0].Message)
			}
		})
	}
	// The room addressed by its name (URL-encoded on the wire) works.
	room := fake.AddRoom("Support Ünïcode")
	cfg := base()
	cfg["room"] = room.Name
	if resp := e.configure(t, cfg); len(resp.Errors) > 0 {
		t.Fatalf("room by name: %v", resp.Errors)
	}
	if _, err := e.deliver(t, 1, sdk.Message{ID: "x", Kind: sdk.KindText, Text: "hi"}); err != nil || len(fake.Notifications(room.ID)) != 1 {
		t.Fatalf("deliver to a room by name: %v", err)
	}
}

// newEnvWith configures a channel against an existing fake with the given
// webhook secret and no webhook registration.
func newEnvWith(t *testing.T, fake *hipchatfake.Server, key string) *env {
	t.Helper()
	e := newEnv(t, hipchatfake.Options{}, nil)
	e.fake = fake
	if resp := e.configure(t, map[string]any{"server_url": fake.URL(), "room": itoa(fake.RoomID()), "token": fake.Token(), "webhook_secret": key}); len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	return e
}

// registerHook registers a room_message webhook as an operator or add-on
// would (no pattern: the channel must filter by itself).
func registerHook(t *testing.T, fake *hipchatfake.Server, url, auth string) {
	t.Helper()
	body := `{"url":"` + url + `","event":"room_message","name":"manual","authentication":"` + auth + `"}`
	req, _ := http.NewRequestWithContext(context.Background(), "POST", fake.URL()+"/v2/room/"+itoa(fake.RoomID())+"/webhook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+fake.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create webhook: %d", resp.StatusCode)
	}
}
