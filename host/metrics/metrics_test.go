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
		m.UpdateReceived(v)
		m.Delivered(v, time.Second)
		m.DeliveryFailed(v, true)
		m.ReplySent(v, time.Second)
		m.ReplyFailed(v, false)
		m.Call(v, v, time.Second)
		m.PluginRestarted(v)
		m.PluginCall(v, v, time.Second, nil)
		m.SetBacklog(v, 1, 2, time.Second)
	}
	if _, err := m.Registry.Gather(); err != nil {
		t.Fatalf("gather: %v", err)
	}
}
