package router

import (
	"slices"
	"testing"

	"github.com/parley-dev/parley/host/store"
)

// A bot's conversations go to its channels only; a bot without channels,
// and the default bot, go to every enabled channel; a bot's channel that
// is not enabled is left out; Set replaces the table.
func TestBotDefaultRoutes(t *testing.T) {
	r := New([]string{"slack", "helpscout"})
	if got := r.Route(store.Conversation{Bot: "shop"}); !slices.Equal(got, []string{"slack", "helpscout"}) {
		t.Errorf("before Set: %v", got)
	}
	r.Set([]string{"slack", "helpscout"}, map[string][]string{"shop": {"helpscout", "hipchat"}, "support": nil})
	for bot, want := range map[string][]string{
		"shop": {"helpscout"}, "support": {"slack", "helpscout"}, "": {"slack", "helpscout"}, "other": {"slack", "helpscout"},
	} {
		if got := r.Route(store.Conversation{Bot: bot}); !slices.Equal(got, want) {
			t.Errorf("bot %q: %v, want %v", bot, got, want)
		}
	}
	r.Set([]string{"slack"}, map[string][]string{store.DefaultBot: {"slack"}})
	if got := r.ForBot("shop"); !slices.Equal(got, []string{"slack"}) {
		t.Errorf("after a reload: %v", got)
	}
}
