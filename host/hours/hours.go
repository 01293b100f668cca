// Package hours is a bot's business hours: a weekly schedule in one time
// zone, with dates it is closed, evaluated against any clock.
//
// The rules, in the words the configuration uses:
//   - A weekly entry is days, then one or more spans: "mon-fri 09:00-18:00",
//     "sat,sun 10:00-12:00 13:00-16:00". Days are mon tue wed thu fri sat sun,
//     single or as ranges (a range may wrap: "fri-mon"), separated by commas.
//   - A span is "HH:MM-HH:MM", start included, end excluded, on the wall
//     clock of the time zone (so DST changes move nothing: 09:00 stays
//     09:00). "24:00" may end a span. An end before the start runs over
//     midnight into the next day ("fri 22:00-02:00" is open from Friday 22:00
//     to Saturday 02:00). An end equal to the start ("09:00-09:00") is an
//     error: the whole day is "00:00-24:00".
//   - Spans must not overlap, within an entry or across entries (midnight
//     spans included).
//   - closed_on dates ("2026-12-25") close that whole calendar date in the
//     time zone, 00:00 to 24:00, including the part of a span that runs over
//     midnight into it; the part of a span that runs out of it into the next
//     date stays open.
//
// A wall time that does not exist (the hour skipped when clocks go forward)
// simply never happens; one that happens twice (when clocks go back) is
// open or closed both times alike.
package hours

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	// The IANA database inside the binary: a minimal container or a
	// Windows host has none, and a timezone that resolves at `parley
	// check` must resolve wherever the binary runs.
	_ "time/tzdata"
)

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// dayNames are the weekday names of the weekly entries, in time.Weekday
// order (Sunday first).
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Span is one opening on a weekday: from Start to End minutes after
// midnight, End > Start; an End past 1440 runs into the next day.
type Span struct {
	Day   time.Weekday
	Start int
	End   int
}

// String writes the span the way a weekly entry does ("fri 22:00-02:00").
func (s Span) String() string {
	end := s.End
	if end > minutesPerDay {
		end -= minutesPerDay // over midnight: written as the next day's time
	}
	return dayNames[s.Day] + " " + clock(s.Start) + "-" + clock(end)
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Rule is one parsed weekly entry.
type Rule struct {
	// Text is the entry as written.
	Text  string
	Spans []Span
}

// ParseRule parses one weekly entry: days, then spans, separated by
// spaces ("mon-fri 09:00-12:00 13:00-18:00").
func ParseRule(s string) (Rule, error) {
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) < 2 {
		return Rule{}, fmt.Errorf("%q is not days and hours", s)
	}
	days, err := parseDays(fields[0])
	if err != nil {
		return Rule{}, err
	}
	r := Rule{Text: s}
	for _, f := range fields[1:] {
		for _, part := range strings.Split(f, ",") {
			if part == "" {
				continue
			}
			start, end, err := parseSpan(part)
			if err != nil {
				return Rule{}, err
			}
			for _, d := range days {
				r.Spans = append(r.Spans, Span{Day: d, Start: start, End: end})
			}
		}
	}
	if len(r.Spans) == 0 {
		return Rule{}, fmt.Errorf("%q has no hours", s)
	}
	if err := overlaps(r.Spans); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseDays reads "mon", "mon-fri", "sat,sun", "fri-mon,wed".
func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := weekday(from)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = weekday(to); err != nil {
				return nil, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			if slices.Contains(out, d) {
				return nil, fmt.Errorf("%q names %s twice", s, dayNames[d])
			}
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

func weekday(s string) (time.Weekday, error) {
	if i := slices.Index(dayNames[:], s); i >= 0 {
		return time.Weekday(i), nil
	}
	return 0, fmt.Errorf("%q is not a weekday: use mon, tue, wed, thu, fri, sat or sun", s)
}

// parseSpan reads "09:00-18:00" into minutes after midnight; an end before
// the start runs over midnight.
func parseSpan(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a span of hours such as 09:00-18:00", s)
	}
	if start, err = parseClock(a, false); err != nil {
		return 0, 0, err
	}
	if end, err = parseClock(b, true); err != nil {
		return 0, 0, err
	}
	switch {
	case end == start:
		return 0, 0, fmt.Errorf("%q is empty: a span ends after it starts (write 00:00-24:00 for the whole day)", s)
	case end < start:
		end += minutesPerDay // over midnight
	}
	return start, end, nil
}

// parseClock reads "HH:MM"; 24:00 only as an end.
func parseClock(s string, isEnd bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 || !digits(h+m) {
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM, such as 09:00", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	switch {
	case err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24:
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM, such as 09:00", s)
	case hh == 24 && (mm != 0 || !isEnd):
		return 0, fmt.Errorf("%q is not a time of day: 24:00 may only end a span", s)
	}
	return hh*60 + mm, nil
}

// overlaps reports spans that share a minute of the week.
func overlaps(spans []Span) error {
	var errs []error
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if intersect(a, b) {
				errs = append(errs, fmt.Errorf("%s overlaps %s", a, b))
			}
		}
	}
	return errors.Join(errs...)
}

func intersect(a, b Span) bool {
	as, ae := int(a.Day)*minutesPerDay+a.Start, int(a.Day)*minutesPerDay+a.End
	bs, be := int(b.Day)*minutesPerDay+b.Start, int(b.Day)*minutesPerDay+b.End
	// Compare on the week's circle: b shifted a week either way.
	for _, shift := range []int{-minutesPerWeek, 0, minutesPerWeek} {
		if as < be+shift && bs+shift < ae {
			return true
		}
	}
	return false
}

// Date is a calendar date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "2026-12-25".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date: write YYYY-MM-DD, such as 2026-12-25", s)
	}
	return dateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func dateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Schedule is a bot's business hours. The zero value is never open.
type Schedule struct {
	loc    *time.Location
	byDay  [7][]Span // spans by the weekday they start on, by start
	closed map[Date]bool
}

// New makes a schedule from parsed weekly entries and closed dates; it
// reports every pair of spans that overlap across entries.
func New(loc *time.Location, rules []Rule, closed []Date) (*Schedule, []error) {
	s := &Schedule{loc: loc, closed: map[Date]bool{}}
	var all []Span
	var errs []error
	for i, r := range rules {
		for _, prev := range rules[:i] {
			for _, a := range prev.Spans {
				for _, b := range r.Spans {
					if intersect(a, b) {
						errs = append(errs, fmt.Errorf("%q overlaps %q (%s and %s)", r.Text, prev.Text, b, a))
					}
				}
			}
		}
		all = append(all, r.Spans...)
	}
	for _, sp := range all {
		s.byDay[sp.Day] = append(s.byDay[sp.Day], sp)
	}
	for d := range s.byDay {
		slices.SortFunc(s.byDay[d], func(a, b Span) int { return a.Start - b.Start })
	}
	for _, d := range closed {
		s.closed[d] = true
	}
	return s, errs
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Open reports whether t falls in business hours.
func (s *Schedule) Open(t time.Time) bool {
	if s == nil || s.loc == nil {
		return false
	}
	t = t.In(s.loc)
	if s.closed[dateOf(t)] {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	for _, sp := range s.byDay[day] {
		if sp.Start <= m && m < sp.End {
			return true
		}
	}
	for _, sp := range s.byDay[(day+6)%7] { // yesterday's spans over midnight
		if m+minutesPerDay < sp.End {
			return true
		}
	}
	return false
}

// NextOpen is the first instant at or after t that is open, and false
// when the schedule is never open.
func (s *Schedule) NextOpen(t time.Time) (time.Time, bool) {
	if s.Open(t) {
		return t, true
	}
	local := t.In(s.loc)
	y, m, d := local.Date()
	// Every opening starts at a span's start or at midnight (a holiday
	// ending under a span over midnight), on some date; a week past the
	// last closed date has seen every weekday open.
	for i := 0; i <= len(s.closed)+8; i++ {
		var candidates []time.Time
		day := s.wall(y, m, d+i, 0)
		candidates = append(candidates, day)
		for _, sp := range s.byDay[day.Weekday()] {
			candidates = append(candidates, s.wall(y, m, d+i, sp.Start))
		}
		slices.SortFunc(candidates, func(a, b time.Time) int { return a.Compare(b) })
		for _, c := range candidates {
			if c.After(t) && s.Open(c) {
				return c, true
			}
		}
	}
	return time.Time{}, false
}

// wall is the first instant the clocks of the schedule's zone show
// minute min of the date, or, when they skip it (a DST gap), the instant
// they jump past it: time.Date alone would answer a time after the jump
// by the gap's length.
func (s *Schedule) wall(y int, m time.Month, d, min int) time.Time {
	t := time.Date(y, m, d, min/60, min%60, 0, 0, s.loc)
	if t.Hour()*60+t.Minute() != min {
		start, _ := t.ZoneBounds()
		if !start.IsZero() && start.Before(t) {
			return start
		}
	}
	return t
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
