package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-dev/parley/host/hours"
)

// Hours are a bot's business hours (a [telegram.hours] table): outside
// them customers' messages are marked for the desk and the customer is
// told when the team is back.
type Hours struct {
	// Timezone is the IANA name the weekly hours and closed dates are in.
	Timezone string
	// Weekly entries: days and spans, "mon-fri 09:00-18:00" (host/hours
	// has the rules).
	Weekly []string
	// ClosedOn are dates ("2026-12-25") closed all day.
	ClosedOn []string
	// AwayMessage is sent to a customer who writes outside hours;
	// {next_open} becomes the next opening. "" sends none.
	AwayMessage string
	// AwayMessages are its translations by base language code, from the
	// away_message_<lang> keys.
	AwayMessages map[string]string
	// AwayEvery is the shortest time between two away messages of one
	// conversation.
	AwayEvery Duration

	// Away is the checked form the host runs with; set when the table is
	// valid.
	Away *hours.Away
}

// DefaultAwayMessage is hours.away_message when the table leaves it out.
const DefaultAwayMessage = "We're away right now and back {next_open}. Leave your question here; we'll answer then."

// hoursKeys are the fixed keys of an hours table; away_message_<lang>
// keys come besides.
var hoursKeys = []string{"away_every", "away_message", "closed_on", "timezone", "weekly"}

// awayLanguageKey is an away_message_<lang> key; the language is a
// lower-case ISO 639 code as Telegram reports it.
var awayLanguageKey = regexp.MustCompile(`^away_message_([a-z]{2,3})$`)

// hoursTable decodes and checks an hours table at path, reporting every
// problem, and stores it in *dest when it has none.
func (d *decoder) hoursTable(path []string, v any, dest **Hours) {
	t, ok := v.(map[string]any)
	if !ok {
		d.add(path, "must be a table, not "+typeName(v), fmt.Sprintf("write [%s] on a line of its own, then timezone and weekly under it", strings.Join(path, ".")))
		return
	}
	h := &Hours{AwayMessage: DefaultAwayMessage, AwayEvery: Duration{12 * time.Hour}, AwayMessages: map[string]string{}}
	before := len(d.problems)
	kp := func(k string) []string { return append(slices.Clone(path), k) }
	for _, k := range slices.Sorted(maps.Keys(t)) {
		switch k {
		case "timezone":
			d.set(kp(k), t[k], &h.Timezone)
		case "weekly":
			d.set(kp(k), t[k], &h.Weekly)
		case "closed_on":
			d.set(kp(k), t[k], &h.ClosedOn)
		case "away_message":
			d.set(kp(k), t[k], &h.AwayMessage)
		case "away_every":
			d.set(kp(k), t[k], &h.AwayEvery)
		default:
			m := awayLanguageKey.FindStringSubmatch(k)
			if m == nil {
				d.unknown(kp(k), append(slices.Clone(hoursKeys), "away_message_<lang>"))
				continue
			}
			var s string
			d.set(kp(k), t[k], &s)
			h.AwayMessages[m[1]] = s
		}
	}
	away := d.checkHours(path, h)
	if len(d.problems) == before {
		h.Away = away
		*dest = h
	}
}

// checkHours reports every problem of h and returns its checked form.
func (d *decoder) checkHours(path []string, h *Hours) *hours.Away {
	kp := func(k string) []string { return append(slices.Clone(path), k) }
	var loc *time.Location
	switch {
	case h.Timezone == "":
		d.add(kp("timezone"), "is required", `name the time zone the hours are in, such as timezone = "Europe/Berlin"`)
	case h.Timezone == "Local":
		d.add(kp("timezone"), `"Local" depends on the machine`, `name the time zone, such as "Europe/Berlin" or "UTC"`)
	default:
		var err error
		if loc, err = time.LoadLocation(h.Timezone); err != nil {
			d.add(kp("timezone"), fmt.Sprintf("unknown time zone %q", h.Timezone),
				`use an IANA time zone name, such as "Europe/Berlin", "America/New_York" or "UTC"`)
		}
	}
	if len(h.Weekly) == 0 {
		d.add(kp("weekly"), "must list the opening hours", `for example weekly = ["mon-fri 09:00-18:00", "sat 10:00-14:00"]`)
	}
	var rules []hours.Rule
	for i, w := range h.Weekly {
		r, err := hours.ParseRule(w)
		if err != nil {
			d.add(kp("weekly"), fmt.Sprintf("item %d: %v", i+1, err),
				`write days then spans, such as "mon-fri 09:00-18:00"; a span over midnight is "fri 22:00-02:00"`)
			continue
		}
		rules = append(rules, r)
	}
	var dates []hours.Date
	for i, c := range h.ClosedOn {
		date, err := hours.ParseDate(c)
		if err != nil {
			d.add(kp("closed_on"), fmt.Sprintf("item %d: %v", i+1, err), `for example closed_on = ["2026-12-25", "2026-12-26"]`)
			continue
		}
		dates = append(dates, date)
	}
	s, overlaps := hours.New(loc, rules, dates)
	for _, err := range overlaps {
		d.add(kp("weekly"), err.Error(), "hours of one day must not overlap: merge or shorten the spans")
	}
	if h.AwayEvery.Duration <= 0 {
		d.add(kp("away_every"), "must be longer than zero", `for example "12h": at most one away message per conversation in that time`)
	}
	messages := map[string]string{"": h.AwayMessage}
	for _, lang := range slices.Sorted(maps.Keys(h.AwayMessages)) {
		messages[lang] = h.AwayMessages[lang]
	}
	for _, lang := range slices.Sorted(maps.Keys(messages)) {
		key, text := "away_message", messages[lang]
		if lang != "" {
			key += "_" + lang
		}
		if n := utf8.RuneCountInString(text); n > maxTelegramText {
			d.add(kp(key), fmt.Sprintf("is %d characters; Telegram takes at most %d", n, maxTelegramText), "")
		}
		if lang != "" && !hours.HasLanguage(lang) && strings.Contains(text, hours.NextOpenPlaceholder) {
			d.add(kp(key), fmt.Sprintf("%s cannot be written in %q: Parley writes dates in %s", hours.NextOpenPlaceholder, lang, strings.Join(hours.Languages(), ", ")),
				"write the opening hours into the text instead of "+hours.NextOpenPlaceholder)
		}
		if lang != "" && strings.TrimSpace(text) == "" {
			d.add(kp(key), "must not be empty", "leave the key out to send this language the default away_message")
		}
	}
	if strings.TrimSpace(h.AwayMessage) == "" {
		messages = nil // marks messages, sends no away message
	}
	return &hours.Away{Schedule: s, Messages: messages, Every: h.AwayEvery.Duration, AgentQuiet: hours.DefaultAgentQuiet}
}
