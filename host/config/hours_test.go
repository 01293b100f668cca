package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestHours(t *testing.T) {
	c := mustParse(t, minimal, nil)
	if c.Telegram.Hours != nil {
		t.Fatalf("hours without a table: %+v", c.Telegram.Hours)
	}
	c = mustParse(t, minimal+`[telegram.hours]
timezone = "Europe/Berlin"
weekly = ["mon-fri 09:00-18:00", "sat 10:00-14:00", "fri 22:00-02:00"]
closed_on = ["2026-12-25", "2026-12-26"]
away_message_de = "Wir sind ab {next_open} wieder da."
`, nil)
	h := c.Telegram.Hours
	if h == nil || h.Away == nil {
		t.Fatal("no hours")
	}
	if h.AwayEvery.Duration != 12*time.Hour || h.AwayMessage != DefaultAwayMessage || h.Away.AgentQuiet != 15*time.Minute {
		t.Errorf("defaults: %+v", h)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	fri := time.Date(2026, 12, 4, 23, 0, 0, 0, loc)
	if !h.Away.Schedule.Open(fri) || h.Away.Schedule.Open(time.Date(2026, 12, 25, 10, 0, 0, 0, loc)) {
		t.Error("the schedule is not the one configured")
	}
	sat := time.Date(2026, 12, 5, 3, 0, 0, 0, loc)
	if got := h.Away.Message(sat, "de"); got != "Wir sind ab heute um 10:00 Uhr wieder da." {
		t.Errorf("German away message: %q", got)
	}
	if got := h.Away.Message(sat, "en"); !strings.HasPrefix(got, "We're away right now and back today at 10:00.") {
		t.Errorf("default away message: %q", got)
	}

	c = mustParse(t, minimal+`[telegram.hours]
timezone = "UTC"
weekly = ["mon 09:00-10:00"]
away_message = ""
`, nil)
	if c.Telegram.Hours.Away.Messages != nil {
		t.Error(`away_message = "" still sends one`)
	}
}

func TestHoursEveryProblemAtOnce(t *testing.T) {
	errs := parseProblems(t, minimal+`[telegram.hours]
timezone = "Europe/Berlinn"
weekly = ["mon-fri 09:00-18:00", "fri 17:00-19:00", "mon 09:00-09:00", "funday 10:00-11:00"]
closed_on = ["2026-12-25", "25.12.2026"]
away_every = "soon"
away_message_xx = "Back {next_open}"
away_mesage = "typo"
`, nil)
	want := []struct{ key, text string }{
		{"telegram.hours.away_every", "invalid duration"},
		{"telegram.hours.away_mesage", "unknown key"},
		{"telegram.hours.away_message_xx", `cannot be written in "xx"`},
		{"telegram.hours.closed_on", `item 2: "25.12.2026" is not a date`},
		{"telegram.hours.timezone", `unknown time zone "Europe/Berlinn"`},
		{"telegram.hours.weekly", `item 3: "09:00-09:00" is empty`},
		{"telegram.hours.weekly", `item 4: "funday" is not a weekday`},
		{"telegram.hours.weekly", `"fri 17:00-19:00" overlaps "mon-fri 09:00-18:00"`},
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.String())
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, w.key+": ") || !strings.Contains(all, w.text) {
			t.Errorf("no problem %s: %s in\n%s", w.key, w.text, all)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(errs), len(want), all)
	}
	for _, e := range errs {
		if e.Line == 0 {
			t.Errorf("no line: %s", e)
		}
	}
}

func TestHoursRequired(t *testing.T) {
	errs := parseProblems(t, minimal+"[telegram.hours]\naway_every = \"0s\"\n", nil)
	var keys []string
	for _, e := range errs {
		keys = append(keys, e.Key)
	}
	if strings.Join(keys, ",") != "telegram.hours.timezone,telegram.hours.weekly,telegram.hours.away_every" {
		t.Errorf("problems %v", errs)
	}
	errs = parseProblems(t, minimal+"hours = \"9-5\"\n", nil)
	if len(errs) != 1 || errs[0].Key != "telegram.hours" {
		t.Errorf("hours not a table: %v", errs)
	}
}

// TestExampleHours: the example's commented [telegram.hours] block,
// uncommented, is valid.
func TestExampleHours(t *testing.T) {
	data, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		if line == "# [telegram.hours]" {
			in = true
		}
		if in && !strings.HasPrefix(line, "# ") {
			break
		}
		if in && !strings.HasPrefix(line, "# # ") {
			block = append(block, strings.TrimPrefix(line, "# "))
		}
	}
	if len(block) < 5 {
		t.Fatalf("no [telegram.hours] block in the example: %q", block)
	}
	c := mustParse(t, minimal+strings.Join(block, "\n")+"\n", nil)
	h := c.Telegram.Hours
	if h == nil || h.Timezone != "Europe/Berlin" || len(h.Weekly) != 2 || len(h.ClosedOn) != 2 || h.AwayMessage != DefaultAwayMessage ||
		h.AwayEvery.Duration != 12*time.Hour || h.AwayMessages["de"] == "" {
		t.Errorf("example hours: %+v", h)
	}
}
