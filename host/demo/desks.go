package demo

import (
	"context"
	"fmt"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// deskFor returns the constructor of the named desk's fake.
// The Telegram staff group desk lives on the demo's fake Telegram, tg.
func deskFor(name string) (func(ctx context.Context, publicURL string, tg *telegramtest.Server) (desk, error), error) {
	switch name {
	case "webhook":
		return func(_ context.Context, publicURL string, _ *telegramtest.Server) (desk, error) {
			return newWebhookDesk(publicURL)
		}, nil
	case "slack":
		return func(_ context.Context, publicURL string, _ *telegramtest.Server) (desk, error) {
			return newSlackDesk(publicURL), nil
		}, nil
	case "helpscout":
		return func(_ context.Context, publicURL string, _ *telegramtest.Server) (desk, error) {
			return newHelpScoutDesk(publicURL)
		}, nil
	case "hipchat":
		// The plugin registers its webhook with the host's public URL itself.
		return func(context.Context, string, *telegramtest.Server) (desk, error) { return newHipChatDesk() }, nil
	case "telegramgroup":
		return func(_ context.Context, _ string, tg *telegramtest.Server) (desk, error) {
			return newTelegramGroupDesk(tg), nil
		}, nil
	}
	return nil, fmt.Errorf("unknown desk %q: want webhook, slack, helpscout, hipchat or telegramgroup", name)
}
