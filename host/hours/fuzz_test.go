package hours

import (
	"testing"
	"time"
)

// FuzzParseRule: any text either fails to parse or gives spans that read
// back the same, and a schedule of them answers Open and NextOpen
// consistently.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"mon-fri 09:00-18:00", "fri 22:00-02:00", "sat,sun 10:00-12:00,13:00-16:00",
		"fri-mon 00:00-24:00", "mon 09:00-09:00", "sun 23:00-01:00", "xyz", "mon 24:00-01:00"} {
		f.Add(s, int64(1796000000))
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		for _, sp := range r.Spans {
			if sp.Start < 0 || sp.Start >= minutesPerDay || sp.End <= sp.Start || sp.End-sp.Start > minutesPerDay {
				t.Fatalf("%q: bad span %+v", s, sp)
			}
			back, err := ParseRule(sp.String())
			if err != nil || len(back.Spans) != 1 || back.Spans[0] != sp {
				t.Fatalf("%q: span %+v reads back as %+v, %v", s, sp, back.Spans, err)
			}
		}
		sch, errs := New(loc, []Rule{r}, nil)
		if len(errs) > 0 {
			t.Fatalf("%q: one parsed rule overlaps itself: %v", s, errs)
		}
		now := time.Unix(unix%(1<<40), 0)
		next, ok := sch.NextOpen(now)
		if !ok {
			t.Fatalf("%q: never open", s)
		}
		if next.Before(now) || !sch.Open(next) {
			t.Fatalf("%q: NextOpen(%v) = %v, open %v", s, now, next, sch.Open(next))
		}
	})
}
