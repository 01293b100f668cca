package demo

import "testing"

// The Slack pane shows the plugin's own lines (lifecycle records and the
// notices of deletions, the Business owner, transfers, connections) as
// notes, and the customer's words as the customer's.
func TestSlackPaneTellsNotesFromCustomers(t *testing.T) {
	for text, note := range map[string]bool{
		"✅ _Closed by Grace Hopper_":                          true,
		"🗑️ _The customer deleted “hello”._":                  true,
		"🏢 _Acme Ltd wrote from Telegram:_\n_&gt; on my way_": true,
		"🔀 _The conversation moved to helpscout_":             true,
		"🔌 _The Business connection was disabled._":           true,
		"Where is my order?":                                  false,
		"🌙 _outside business hours_\nAre you open?":           false,
	} {
		if got := slackLifecycleRE.MatchString(text); got != note {
			t.Errorf("%q: note %v, want %v", text, got, note)
		}
	}
}
