package demo

import (
	"context"
	"fmt"
)

// deskFor returns the constructor of the named desk's fake.
func deskFor(name string) (func(ctx context.Context, publicURL string) (desk, error), error) {
	switch name {
	case "webhook":
		return func(_ context.Context, publicURL string) (desk, error) { return newWebhookDesk(publicURL) }, nil
	case "slack":
		return func(_ context.Context, publicURL string) (desk, error) { return newSlackDesk(publicURL), nil }, nil
	case "helpscout":
		return func(_ context.Context, publicURL string) (desk, error) { return newHelpScoutDesk(publicURL) }, nil
	case "hipchat":
		// The plugin registers its webhook with the host's public URL itself.
		return func(context.Context, string) (desk, error) { return newHipChatDesk() }, nil
	}
	return nil, fmt.Errorf("unknown desk %q: want webhook, slack, helpscout or hipchat", name)
}
