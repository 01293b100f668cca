package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/plugins/telegramgroup/internal/telegramgroupchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// world is the fake Telegram with a forum supergroup administered by a
// staff bot (and a second, hanging one), and an agent.
type world struct {
	tg      *telegramtest.Server
	staff   *telegramtest.Bot
	hanging *telegramtest.Bot
	group   telego.Chat
	agent   telego.User
}

func newWorld(t *testing.T) world {
	t.Helper()
	tg := telegramtest.New(telegramtest.Options{MaxPollTimeout: time.Second})
	if err := tg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	staff := tg.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Staff", Username: "staff_bot"}})
	hanging := tg.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Slow", Username: "slow_bot"}})
	for _, m := range []string{"createForumTopic", "sendMessage"} {
		hanging.Inject(telegramtest.Fault{Method: m, Times: -1, Delay: time.Minute})
	}
	agent := tg.RegisterUser(telego.User{FirstName: "Grace", LastName: "Hopper", Username: "grace"})
	rights := telegramtest.AdminRights{CanManageTopics: true}
	group := tg.AddSupergroup(telegramtest.SupergroupOptions{Title: "Support", Forum: true, Owner: agent.ID,
		Admins: map[int64]telegramtest.AdminRights{staff.User().ID: rights, hanging.User().ID: rights}})
	return world{tg: tg, staff: staff, hanging: hanging, group: group, agent: agent}
}

func (w world) config(bot *telegramtest.Bot) map[string]any {
	return map[string]any{"bot_token": bot.Token(), "group_id": w.group.ID, "api_url": w.tg.URL()}
}

func conformance(t *testing.T, h *plugintest.Harness) {
	w := newWorld(t)
	for _, m := range plugintest.SampleMessages() {
		for _, a := range m.Attachments {
			h.Host.AddFile(a.FileRef, a.Name, a.MIMEType, []byte("sample "+a.Kind))
		}
	}
	update := func(ref []byte) []byte {
		_, tail, _ := strings.Cut(string(ref), ":")
		topic, err := strconv.Atoi(tail)
		if err != nil {
			t.Fatalf("thread ref %q", ref)
		}
		m := w.tg.NewTopicMessage(w.group.ID, topic, w.agent.ID)
		m.Text = "Ships today."
		b, _ := json.Marshal(telego.Update{UpdateID: 1, Message: &m})
		return b
	}
	plugintest.RunConformance(t, h, plugintest.ConformanceOptions{
		ValidConfig:   w.config(w.staff),
		HangingConfig: w.config(w.hanging),
		BadSignatureRequest: func() sdk.WebhookRequest {
			return sdk.WebhookRequest{Method: "POST", Path: "/", Body: []byte(`{"update_id":1}`),
				Header: map[string][]string{"X-Telegram-Bot-Api-Secret-Token": {"wrong"}}}
		},
		ValidWebhookRequest: func(ref []byte) sdk.WebhookRequest {
			return sdk.WebhookRequest{Method: "POST", Path: "/", Body: update(ref), Header: map[string][]string{
				"X-Telegram-Bot-Api-Secret-Token": {telegramgroupchannel.WebhookSecret(w.staff.Token())},
				"Content-Type":                    {"application/json"}}}
		},
	})
}

func TestConformanceInProcess(t *testing.T) {
	conformance(t, plugintest.Serve(t, telegramgroupchannel.New(telegramgroupchannel.Options{Version: "test"})))
}

func TestConformanceBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	bin := plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/telegramgroup")
	conformance(t, plugintest.ServeBinary(t, bin))
}
