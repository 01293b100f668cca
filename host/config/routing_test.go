package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const twoDesks = `
[channels.slack]
plugin = "slack"
[channels.helpscout]
plugin = "helpscout"
[channels.old]
plugin = "slack"
enabled = false
`

func TestRoutingParses(t *testing.T) {
	c := mustParse(t, minimal+`
[[telegram.routes]]
start_payload = "billing"
channels = ["helpscout"]
[[telegram.routes]]
language = ["DE", "at"]
channels = ["slack"]
[[telegram.routes]]
keyword = "(?i)refund|invoice"
channels = ["helpscout", "slack"]
[telegram.menu]
question = "What is it about?"
options = [{ label = "Sales", channels = ["slack"] }, { label = "Support", channels = ["helpscout"] }]
`+twoDesks, nil)
	r := c.Telegram.Routes
	if len(r) != 3 || r[0].StartPayload[0] != "billing" || strings.Join(r[1].Language, ",") != "de,at" ||
		r[2].KeywordRegexp() == nil || !r[2].KeywordRegexp().MatchString("my INVOICE") || len(r[2].Channels) != 2 {
		t.Errorf("routes: %+v", r)
	}
	m := c.Telegram.Menu
	if m == nil || m.Question != "What is it about?" || len(m.Options) != 2 || m.Options[1].Label != "Support" ||
		m.Options[1].Channels[0] != "helpscout" || m.Timeout.Duration != 10*time.Minute {
		t.Errorf("menu: %+v", m)
	}
	if c := mustParse(t, minimal+twoDesks, nil); c.Telegram.Routes != nil || c.Telegram.Menu != nil {
		t.Errorf("defaults: %+v %+v", c.Telegram.Routes, c.Telegram.Menu)
	}
}

// TestRoutingProblems: every problem of the rules and the menu is
// reported at once, each naming its key.
func TestRoutingProblems(t *testing.T) {
	errs := parseProblems(t, minimal+`
[[telegram.routes]]
start_payload = "billing"
channels = ["helpscot"]
[[telegram.routes]]
keyword = "(unclosed"
channels = ["slack"]
[[telegram.routes]]
channels = ["slack"]
[[telegram.routes]]
language = "de"
channels = ["old"]
[[telegram.routes]]
language = "fr"
channels = []
[telegram.menu]
question = ""
timeout = "0s"
options = [{ label = "Sales", channels = ["nowhere"] }, { label = "`+strings.Repeat("x", 65)+`", channels = ["slack"] }, { label = "Sales", channels = ["slack"] }, { channels = ["slack"] }]
`+twoDesks, nil)
	want := []string{
		`telegram.routes.channels: rule 1 names unknown channel "helpscot" (did you mean "helpscout"?)`,
		`telegram.routes.keyword: rule 2: not a regular expression`,
		`telegram.routes: rule 3 has no condition`,
		`telegram.routes.channels: rule 4 names channel "old", which is disabled`,
		`telegram.routes.channels: rule 5 names no channel`,
		`telegram.menu.question: must not be empty`,
		`telegram.menu.timeout: must be longer than zero`,
		`telegram.menu.options: option 1 names unknown channel "nowhere"`,
		`telegram.menu.options: option 2: label is 65 characters`,
		`telegram.menu.options: option 3: label "Sales" is used twice`,
		`telegram.menu.options: option 4 has no label`,
	}
	all := ""
	for _, p := range errs {
		all += p.Key + ": " + p.Message + " (" + p.Fix + ")\n"
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("missing %q in:\n%s", w, all)
		}
	}
	if errs := parseProblems(t, minimal+"routes = 5\n"+twoDesks, nil); !strings.Contains(errs.Error(), "must be an array of tables") {
		t.Errorf("routes = 5: %v", errs)
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(errs), len(want), all)
	}
	for text, msg := range map[string]string{
		"[telegram.menu]\nquestion = \"Q\"\noptions = []\n":                                                       "must list at least one option",
		"[telegram.menu]\nquestion = \"Q\"\noptions = [" + manyOptions(101) + "]\n":                               "an inline keyboard takes at most 100",
		"[telegram.menu]\nquestion = \"Q\"\nbuttons = 1\noptions = [{ label = \"a\", channels = [\"slack\"] }]\n": "unknown key",
	} {
		errs := parseProblems(t, minimal+twoDesks+text, nil)
		if !strings.Contains(errs.Error(), msg) {
			t.Errorf("%q: %v, want %q", text, errs, msg)
		}
	}
}

func manyOptions(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{ label = "o%d", channels = ["slack"] },`, i)
	}
	return b.String()
}
