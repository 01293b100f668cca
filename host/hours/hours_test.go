package hours

import (
	"strings"
	"testing"
	"time"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// schedule builds a schedule from weekly entries and closed dates, failing
// the test on any problem.
func schedule(t *testing.T, loc *time.Location, weekly []string, closed ...string) *Schedule {
	t.Helper()
	var rules []Rule
	for _, w := range weekly {
		r, err := ParseRule(w)
		if err != nil {
			t.Fatalf("ParseRule(%q): %v", w, err)
		}
		rules = append(rules, r)
	}
	var dates []Date
	for _, c := range closed {
		d, err := ParseDate(c)
		if err != nil {
			t.Fatal(err)
		}
		dates = append(dates, d)
	}
	s, errs := New(loc, rules, dates)
	if len(errs) > 0 {
		t.Fatalf("New: %v", errs)
	}
	return s
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseRule(t *testing.T) {
	good := map[string][]string{
		"mon-fri 09:00-18:00":             {"mon 09:00-18:00", "tue 09:00-18:00", "wed 09:00-18:00", "thu 09:00-18:00", "fri 09:00-18:00"},
		"sat 10:00-14:00":                 {"sat 10:00-14:00"},
		"fri 22:00-02:00":                 {"fri 22:00-02:00"},
		"Sat,SUN 10:00-12:00,13:00-16:00": {"sat 10:00-12:00", "sun 10:00-12:00", "sat 13:00-16:00", "sun 13:00-16:00"},
		"fri-mon 00:00-24:00":             {"fri 00:00-24:00", "sat 00:00-24:00", "sun 00:00-24:00", "mon 00:00-24:00"},
		"wed 08:00-12:00 13:00-17:00":     {"wed 08:00-12:00", "wed 13:00-17:00"},
	}
	for in, want := range good {
		r, err := ParseRule(in)
		if err != nil {
			t.Errorf("ParseRule(%q): %v", in, err)
			continue
		}
		var got []string
		for _, s := range r.Spans {
			got = append(got, s.String())
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("ParseRule(%q) = %v, want %v", in, got, want)
		}
	}
	bad := map[string]string{
		"":                            "not days and hours",
		"mon-fri":                     "not days and hours",
		"monday 09:00-18:00":          "not a weekday",
		"mon-fry 09:00-18:00":         "not a weekday",
		"mon 09:00-09:00":             "is empty",
		"mon 9:00-18:00":              "not a time of day",
		"mon 09:00-25:00":             "not a time of day",
		"mon 09:60-18:00":             "not a time of day",
		"mon 24:00-02:00":             "24:00 may only end",
		"mon 09:00":                   "not a span",
		"mon,mon 09:00-10:00":         "names mon twice",
		"mon 09:00-12:00 11:00-13:00": "overlaps",
		"mon 22:00-02:00 23:00-23:30": "overlaps",
	}
	for in, want := range bad {
		if _, err := ParseRule(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRule(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestNewReportsEveryOverlap(t *testing.T) {
	var rules []Rule
	for _, w := range []string{"mon-fri 09:00-18:00", "fri 17:00-19:00", "sun 23:00-01:00", "mon 00:30-02:00"} {
		r, err := ParseRule(w)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	_, errs := New(time.UTC, rules, nil)
	if len(errs) != 2 {
		t.Fatalf("got %d problems, want 2 (fri and the week's wrap): %v", len(errs), errs)
	}
	if !strings.Contains(errs[0].Error(), `"fri 17:00-19:00" overlaps "mon-fri 09:00-18:00"`) ||
		!strings.Contains(errs[1].Error(), `"mon 00:30-02:00" overlaps "sun 23:00-01:00"`) {
		t.Errorf("problems: %v", errs)
	}
}

func TestOpen(t *testing.T) {
	loc := berlin(t)
	s := schedule(t, loc, []string{"mon-fri 09:00-18:00", "sat 10:00-14:00", "fri 22:00-02:00", "sun 23:00-01:00"})
	cases := map[string]bool{
		"2026-12-07 08:59": false, // Monday
		"2026-12-07 09:00": true,
		"2026-12-07 17:59": true,
		"2026-12-07 18:00": false, // end excluded
		"2026-12-11 21:59": false, // Friday
		"2026-12-11 22:00": true,
		"2026-12-11 23:59": true,
		"2026-12-12 00:00": true, // Saturday, Friday's span over midnight
		"2026-12-12 01:59": true,
		"2026-12-12 02:00": false,
		"2026-12-12 10:00": true,
		"2026-12-13 23:30": true, // Sunday's span runs into Monday: the week wraps
		"2026-12-14 00:30": true,
		"2026-12-14 01:00": false,
	}
	for in, want := range cases {
		if got := s.Open(at(loc, in)); got != want {
			t.Errorf("Open(%s) = %v, want %v", in, got, want)
		}
	}
	// The same instant seen from another zone is judged in the schedule's.
	if !s.Open(at(loc, "2026-12-07 09:30").UTC()) {
		t.Error("Open depends on the zone of its argument")
	}
}

func TestHolidays(t *testing.T) {
	loc := berlin(t)
	s := schedule(t, loc, []string{"mon-fri 09:00-18:00", "thu 22:00-02:00"}, "2026-12-25", "2026-12-24")
	// 24 and 25 December 2026 are Thursday and Friday.
	cases := map[string]bool{
		"2026-12-23 10:00": true,
		"2026-12-24 10:00": false,
		"2026-12-24 23:00": false, // the span starts on a closed date
		"2026-12-25 01:00": false, // and runs into another: closed too
		"2026-12-25 10:00": false,
		"2026-12-28 09:00": true,
	}
	for in, want := range cases {
		if got := s.Open(at(loc, in)); got != want {
			t.Errorf("Open(%s) = %v, want %v", in, got, want)
		}
	}
	next, ok := s.NextOpen(at(loc, "2026-12-23 18:00"))
	if want := at(loc, "2026-12-28 09:00"); !ok || !next.Equal(want) {
		t.Errorf("NextOpen before the holidays = %v, want %v", next, want)
	}

	// A span running out of a closed date opens at midnight.
	s = schedule(t, loc, []string{"thu 22:00-02:00"}, "2026-12-24")
	next, ok = s.NextOpen(at(loc, "2026-12-24 21:00"))
	if want := at(loc, "2026-12-25 00:00"); !ok || !next.Equal(want) {
		t.Errorf("NextOpen into a holiday's midnight span = %v, want %v", next, want)
	}
}

func TestNextOpen(t *testing.T) {
	loc := berlin(t)
	s := schedule(t, loc, []string{"mon-fri 09:00-18:00", "sat 10:00-14:00"})
	cases := map[string]string{
		"2026-12-07 08:00": "2026-12-07 09:00",
		"2026-12-07 12:00": "2026-12-07 12:00", // open now
		"2026-12-07 18:00": "2026-12-08 09:00",
		"2026-12-11 18:30": "2026-12-12 10:00", // Friday evening → Saturday
		"2026-12-12 14:00": "2026-12-14 09:00", // Saturday afternoon → Monday
	}
	for in, want := range cases {
		got, ok := s.NextOpen(at(loc, in))
		if !ok || !got.Equal(at(loc, want)) {
			t.Errorf("NextOpen(%s) = %v, %v; want %s", in, got.In(loc), ok, want)
		}
	}
	never, _ := New(loc, nil, nil)
	if _, ok := never.NextOpen(at(loc, "2026-12-07 08:00")); ok {
		t.Error("a schedule without hours opens")
	}
}

func TestDSTSpringForward(t *testing.T) {
	// Europe/Berlin, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
	loc := berlin(t)
	s := schedule(t, loc, []string{"sun 01:00-04:00", "sat 22:00-01:00"})
	transition := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	cases := map[time.Time]bool{
		transition.Add(-90 * time.Minute): true,  // 00:30 CET, Saturday's span over midnight
		transition.Add(-time.Minute):      true,  // 01:59 CET
		transition:                        true,  // 03:00 CEST
		transition.Add(59 * time.Minute):  true,  // 03:59 CEST
		transition.Add(time.Hour):         false, // 04:00 CEST: the span ends by the wall clock, an hour short
	}
	for in, want := range cases {
		if got := s.Open(in); got != want {
			t.Errorf("Open(%s) = %v, want %v", in.In(loc), got, want)
		}
	}

	// A span starting in the skipped hour opens when the clocks jump.
	s = schedule(t, loc, []string{"sun 02:30-05:00"})
	next, ok := s.NextOpen(at(loc, "2026-03-28 20:00"))
	if !ok || !next.Equal(transition) {
		t.Errorf("NextOpen into the skipped hour = %v, want %v (03:00 CEST)", next.In(loc), transition.In(loc))
	}
	if got := s.Format(next, at(loc, "2026-03-28 20:00"), "en"); got != "tomorrow at 03:00" {
		t.Errorf("Format = %q", got)
	}
}

func TestDSTFallBack(t *testing.T) {
	// Europe/Berlin, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET,
	// so 02:00-03:00 happens twice.
	loc := berlin(t)
	s := schedule(t, loc, []string{"sun 02:30-05:00"})
	transition := time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC) // 03:00 CEST = 02:00 CET
	cases := map[time.Time]bool{
		transition.Add(-45 * time.Minute): false, // 02:15 CEST
		transition.Add(-15 * time.Minute): true,  // 02:45 CEST
		transition.Add(15 * time.Minute):  false, // 02:15 CET, the second time round
		transition.Add(45 * time.Minute):  true,  // 02:45 CET
		transition.Add(179 * time.Minute): true,  // 04:59 CET
		transition.Add(180 * time.Minute): false, // 05:00 CET
	}
	for in, want := range cases {
		if got := s.Open(in); got != want {
			t.Errorf("Open(%s) = %v, want %v", in.In(loc), got, want)
		}
	}
	// Closed between the two 02:30s: the next opening is the second one.
	next, ok := s.NextOpen(transition.Add(5 * time.Minute))
	if want := transition.Add(30 * time.Minute); !ok || !next.Equal(want) {
		t.Errorf("NextOpen in the repeated hour = %v, want %v", next.In(loc), want.In(loc))
	}
	// A whole day is 25 hours long and open throughout.
	s = schedule(t, loc, []string{"sun 00:00-24:00"})
	day := at(loc, "2026-10-25 00:00")
	for h := 0; h < 25; h++ {
		if !s.Open(day.Add(time.Duration(h) * time.Hour)) {
			t.Errorf("closed %d hours into the 25-hour day", h)
		}
	}
	if s.Open(day.Add(25 * time.Hour)) {
		t.Error("still open on Monday")
	}
}

func TestFormat(t *testing.T) {
	loc := berlin(t)
	s := schedule(t, loc, []string{"mon-fri 09:00-18:00"})
	now := at(loc, "2026-12-04 19:00") // Friday
	cases := []struct {
		when, lang, want string
	}{
		{"2026-12-04 20:00", "en", "today at 20:00"},
		{"2026-12-05 09:00", "en", "tomorrow at 09:00"},
		{"2026-12-07 09:00", "en", "Monday, 7 December at 09:00"},
		{"2026-12-07 09:00", "de", "Montag, 7. Dezember um 09:00 Uhr"},
		{"2026-12-05 09:00", "de", "morgen um 09:00 Uhr"},
		{"2026-12-07 09:00", "fr", "lundi 7 décembre à 09:00"},
		{"2026-12-07 09:00", "es", "el lunes 7 de diciembre a las 09:00"},
		{"2026-12-07 09:00", "it", "lunedì 7 dicembre alle 09:00"},
		{"2026-12-07 09:00", "ru", "понедельник, 7 декабря, в 09:00"},
		{"2026-12-07 09:00", "xx", "Monday, 7 December at 09:00"},
	}
	for _, c := range cases {
		if got := s.Format(at(loc, c.when), now, c.lang); got != c.want {
			t.Errorf("Format(%s, %s) = %q, want %q", c.when, c.lang, got, c.want)
		}
	}
	// Shown in the schedule's zone whatever the zone of the arguments.
	if got := s.Format(at(loc, "2026-12-07 09:00").UTC(), now.UTC(), "en"); got != "Monday, 7 December at 09:00" {
		t.Errorf("Format in UTC = %q", got)
	}
}

func TestAwayMessage(t *testing.T) {
	loc := berlin(t)
	a := &Away{
		Schedule: schedule(t, loc, []string{"mon-fri 09:00-18:00"}),
		Messages: map[string]string{
			"":   "Back {next_open}.",
			"de": "Wieder da: {next_open}.",
			"pt": "Voltamos em breve.",
		},
	}
	now := at(loc, "2026-12-04 19:00") // Friday evening
	cases := map[string]string{
		"":      "Back Monday, 7 December at 09:00.",
		"en-GB": "Back Monday, 7 December at 09:00.",
		"fr":    "Back Monday, 7 December at 09:00.", // no French message: the default, in English
		"de":    "Wieder da: Montag, 7. Dezember um 09:00 Uhr.",
		"DE-at": "Wieder da: Montag, 7. Dezember um 09:00 Uhr.",
		"pt-br": "Voltamos em breve.",
	}
	for lang, want := range cases {
		if got := a.Message(now, lang); got != want {
			t.Errorf("Message(%q) = %q, want %q", lang, got, want)
		}
	}
}

// BenchmarkOpen is what intake pays per message when hours are set and
// the bot is open.
func BenchmarkOpen(b *testing.B) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	r, _ := ParseRule("mon-fri 09:00-18:00")
	r2, _ := ParseRule("sat 10:00-14:00")
	s, _ := New(loc, []Rule{r, r2}, []Date{{2026, 12, 25}})
	t := time.Date(2026, 12, 7, 12, 0, 0, 0, loc)
	for b.Loop() {
		if !s.Open(t) {
			b.Fatal("closed")
		}
	}
}

// BenchmarkAwayMessage is what a message outside hours costs before the
// store: finding the next opening and writing it.
func BenchmarkAwayMessage(b *testing.B) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	r, _ := ParseRule("mon-fri 09:00-18:00")
	s, _ := New(loc, []Rule{r}, nil)
	a := &Away{Schedule: s, Messages: map[string]string{"": "Back {next_open}."}}
	t := time.Date(2026, 12, 4, 19, 0, 0, 0, loc)
	for b.Loop() {
		_ = a.Message(t, "en")
	}
}
