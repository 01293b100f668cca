package metrics

import (
	"strings"
	"testing"
	"time"
)

// No label value, however odd, may make a metrics call panic.
func TestOddLabelValuesDoNotPanic(t *testing.T) {
	m := New()
	for _, v := range []string{"\xff", "a\x00b", strings.Repeat("é", 500), "", "\xc3\x28"} {
		m.HookRequest(v, 404)
		m.ForBot(v).UpdateReceived(v)
		m.Delivered(v, time.Second)
		m.DeliveryFailed(v, true)
		m.ReplySent(v, time.Second)
		m.ReplyFailed(v, false)
		m.ForBot(v).Call(v, v, time.Second)
		m.PluginRestarted(v)
		m.PluginCall(v, v, time.Second, nil)
		m.SetBacklog(v, 1, 2, time.Second)
	}
	if _, err := m.Registry.Gather(); err != nil {
		t.Fatalf("gather: %v", err)
	}
}

// A bot's updates and calls are counted under its name.
func TestBotLabel(t *testing.T) {
	m := New()
	m.ForBot("support").UpdateReceived("message")
	m.ForBot("shop").Call("sendMessage", "ok", time.Millisecond)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "bot" {
					found[f.GetName()] = l.GetValue()
				}
			}
		}
	}
	if found["parley_telegram_updates_received_total"] != "support" || found["parley_telegram_api_calls_total"] != "shop" {
		t.Errorf("bot labels = %v, want support on updates and shop on calls", found)
	}
}
