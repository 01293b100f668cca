package channel_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/channel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestConfigureReportsEveryProblemByKey(t *testing.T) {
	fake := newFake(t, helpscoutfake.Options{})
	tests := []struct {
		name   string
		change func(map[string]any)
		keys   []string
	}{
		{"valid", nil, nil},
		{"mailbox id as string", func(c map[string]any) { c["mailbox_id"] = "85" }, nil},
		{"empty table", func(c map[string]any) { clear(c) }, []string{"app_id", "app_secret", "mailbox_id", "webhook_secret"}},
		{"unknown key and bad types", func(c map[string]any) {
			c["mailbox"] = 85
			c["tags"] = "vip"
			c["upload_files"] = "yes"
		}, []string{"mailbox", "tags", "upload_files"}},
		{"secret too long for Help Scout", func(c map[string]any) { c["webhook_secret"] = "0123456789012345678901234567890123456789x" }, []string{"webhook_secret"}},
		{"bad api url", func(c map[string]any) { c["api_url"] = "ftp://x" }, []string{"api_url"}},
		{"wrong app secret", func(c map[string]any) { c["app_secret"] = "nope" }, []string{"app_secret"}},
		{"unknown mailbox", func(c map[string]any) { c["mailbox_id"] = 99 }, []string{"mailbox_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig(fake)
			if tt.change != nil {
				tt.change(cfg)
			}
			resp := configure(t, channel.New(channel.Options{}), nil, cfg)
			if len(tt.keys) == 0 {
				plugintest.AssertConfigured(t, resp)
				return
			}
			plugintest.AssertConfigErrors(t, resp, tt.keys...)
			for _, e := range resp.Errors {
				plugintest.AssertNoSecret(t, e.Message, fake.AppSecret())
			}
		})
	}
}

func TestConfigureAPIDisabledIsAConfigError(t *testing.T) {
	fake := newFake(t, helpscoutfake.Options{})
	if err := fake.Inject(helpscoutfake.Fault{Method: "GET", Path: "^/v2/mailboxes/", Status: http.StatusForbidden,
		Body: `{"message":"API access is not enabled"}`}); err != nil {
		t.Fatal(err)
	}
	plugintest.AssertConfigErrors(t, configure(t, channel.New(channel.Options{}), nil, validConfig(fake)), "app_id")
}

func TestUnconfiguredChannelSaysSo(t *testing.T) {
	ch := channel.New(channel.Options{})
	if _, err := ch.Deliver(context.Background(), sdk.DeliverRequest{}); err != sdk.ErrNotConfigured {
		t.Errorf("Deliver before Configure: %v, want ErrNotConfigured", err)
	}
	if _, err := ch.HandleWebhook(context.Background(), sdk.WebhookRequest{Method: "POST"}); err != sdk.ErrNotConfigured {
		t.Errorf("HandleWebhook before Configure: %v, want ErrNotConfigured", err)
	}
}

func TestDescribe(t *testing.T) {
	d, err := channel.New(channel.Options{Version: "1.2.3"}).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "helpscout" || d.Version != "1.2.3" || !d.Capabilities.Webhooks || !d.Capabilities.ReplyAttachments || d.Capabilities.Formatting != "html" {
		t.Errorf("Describe = %+v", d)
	}
}
