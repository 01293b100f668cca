package helpscoutchannel_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/helpscoutchannel"
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
			resp := configure(t, helpscoutchannel.New(helpscoutchannel.Options{}), nil, cfg)
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
	plugintest.AssertConfigErrors(t, configure(t, helpscoutchannel.New(helpscoutchannel.Options{}), nil, validConfig(fake)), "app_id")
}

func TestUnconfiguredChannelSaysSo(t *testing.T) {
	ch := helpscoutchannel.New(helpscoutchannel.Options{})
	if _, err := ch.Deliver(context.Background(), sdk.DeliverRequest{}); err != sdk.ErrNotConfigured {
		t.Errorf("Deliver before Configure: %v, want ErrNotConfigured", err)
	}
	if _, err := ch.HandleWebhook(context.Background(), sdk.WebhookRequest{Method: "POST"}); err != sdk.ErrNotConfigured {
		t.Errorf("HandleWebhook before Configure: %v, want ErrNotConfigured", err)
	}
}

func TestDescribe(t *testing.T) {
	d, err := helpscoutchannel.New(helpscoutchannel.Options{Version: "1.2.3"}).Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "helpscout" || d.Version != "1.2.3" || !d.Capabilities.Webhooks || !d.Capabilities.ReplyAttachments || d.Capabilities.Formatting != "html" {
		t.Errorf("Describe = %+v", d)
	}
}

// TestConfigureReportsThreeProblemsAtOnce: an operator with a typo, a value
// of the wrong type and a secret Help Scout would refuse learns of all three
// in one pass, the typo with the key it probably meant.
func TestConfigureReportsThreeProblemsAtOnce(t *testing.T) {
	fake := newFake(t, helpscoutfake.Options{})
	cfg := validConfig(fake)
	cfg["mailbox_idd"] = 85
	cfg["upload_files"] = "yes"
	cfg["webhook_secret"] = strings.Repeat("s", 41)
	resp := configure(t, helpscoutchannel.New(helpscoutchannel.Options{}), nil, cfg)
	plugintest.AssertConfigErrors(t, resp, "mailbox_idd", "upload_files", "webhook_secret")
	if len(resp.Errors) != 3 {
		t.Errorf("Configure reported %d problems, want 3: %v", len(resp.Errors), resp.Errors)
	}
	for _, e := range resp.Errors {
		if e.Key == "mailbox_idd" && !strings.Contains(e.Message, `"mailbox_id"`) {
			t.Errorf("typo %q: %q does not suggest mailbox_id", e.Key, e.Message)
		}
	}
}
