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
	case "helpscout", "hipchat":
		return nil, fmt.Errorf("--desk %s: the demo has no wiring for the %s fake yet; use --desk webhook", name, name)
	}
	return nil, fmt.Errorf("unknown desk %q: want webhook, slack, helpscout or hipchat", name)
}
