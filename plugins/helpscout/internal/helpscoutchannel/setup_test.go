package helpscoutchannel_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/helpscoutchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

const secret = "hook-secret"

type env struct {
	fake *helpscoutfake.Server
	ch   *helpscoutchannel.Channel
	host *plugintest.RecordingHost
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func newFake(t *testing.T, opts helpscoutfake.Options) *helpscoutfake.Server {
	t.Helper()
	opts.WebhookSecret = secret
	fake, err := helpscoutfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

func validConfig(fake *helpscoutfake.Server) map[string]any {
	return map[string]any{
		"app_id": fake.AppID(), "app_secret": fake.AppSecret(), "mailbox_id": fake.MailboxID(),
		"webhook_secret": secret, "api_url": fake.URL(), "tags": []string{"vip"},
	}
}

// setup returns a configured channel against a fresh fake; change edits
// the config table first.
func setup(t *testing.T, change func(map[string]any)) env {
	t.Helper()
	fake := newFake(t, helpscoutfake.Options{})
	cfg := validConfig(fake)
	if change != nil {
		change(cfg)
	}
	e := env{fake: fake, ch: helpscoutchannel.New(helpscoutchannel.Options{Version: "test"}), host: plugintest.NewRecordingHost()}
	plugintest.AssertConfigured(t, configure(t, e.ch, e.host, cfg))
	return e
}

func configure(t *testing.T, ch *helpscoutchannel.Channel, host sdk.Host, cfg map[string]any) sdk.ConfigureResponse {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ch.Configure(ctx(t), sdk.ConfigureRequest{ChannelName: "helpscout", Config: raw, Host: host,
		HookBaseURL: "http://127.0.0.1/hooks/helpscout"})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return resp
}

var contact = sdk.Contact{TelegramUserID: 123456789, FirstName: "Ivan", LastName: "Petrov", Username: "ivan_p"}

func text(id, s string) sdk.Message {
	return sdk.Message{ID: id, Kind: sdk.KindText, Text: s, Time: time.Unix(1700000000, 0)}
}

func (e env) deliver(t *testing.T, m sdk.Message, ref []byte) ([]byte, error) {
	t.Helper()
	resp, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c1", TelegramChatID: contact.TelegramUserID}, Contact: contact, Message: m, ThreadRef: ref,
	})
	return resp.ThreadRef, err
}

func (e env) mustDeliver(t *testing.T, m sdk.Message, ref []byte) []byte {
	t.Helper()
	got, err := e.deliver(t, m, ref)
	if err != nil {
		t.Fatalf("Deliver %s: %v", m.ID, err)
	}
	if len(got) == 0 {
		t.Fatalf("Deliver %s returned no thread ref", m.ID)
	}
	return got
}

func (e env) conversation(t *testing.T, ref []byte) helpscoutfake.Conversation {
	t.Helper()
	id, err := strconv.ParseInt(string(ref), 10, 64)
	if err != nil {
		t.Fatalf("thread ref %q is not a conversation id", ref)
	}
	c, ok := e.fake.Conversation(id)
	if !ok {
		t.Fatalf("no conversation %d in Help Scout", id)
	}
	return c
}

func convID(t *testing.T, ref []byte) int64 {
	t.Helper()
	id, err := strconv.ParseInt(string(ref), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
