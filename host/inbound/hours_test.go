package inbound

import (
	"fmt"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/hours"
	"github.com/parley-dev/parley/host/telegram/intake"
)

// Outside business hours a message is marked and asks for the away
// message in the customer's language; inside them nothing changes; an
// edit is marked but asks for nothing.
func TestOutsideHours(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	r, err := hours.ParseRule("mon-fri 09:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := hours.New(loc, []hours.Rule{r}, nil)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, loc) // Friday noon
	st := &fakeStore{}
	h, _, _ := newHandler(st, "")
	h.Clock = func() time.Time { return now }
	h.Hours = &hours.Away{Schedule: s, Every: 12 * time.Hour, AgentQuiet: 15 * time.Minute,
		Messages: map[string]string{"": "Back {next_open}.", "de": "Zurück {next_open}."}}

	german := func(text string) string {
		return fmt.Sprintf(`"message":{"message_id":5,"date":1764849600,"chat":{"id":77,"type":"private"},"from":{"id":77,"is_bot":false,"first_name":"Ana","language_code":"de"},"text":%q}`, text)
	}
	handle := func(id int64, body string) {
		t.Helper()
		if err := h.Handle(t.Context(), batchOf(update(t, id, body))); err != nil {
			t.Fatal(err)
		}
	}

	handle(1, german("inside"))
	in := st.commits[len(st.commits)-1]
	if in.Messages[0].OutsideHours || in.Away != nil {
		t.Errorf("inside hours: marked %v, away %+v", in.Messages[0].OutsideHours, in.Away)
	}

	now = time.Date(2026, 12, 4, 19, 0, 0, 0, loc)
	handle(2, german("outside"))
	in = st.commits[len(st.commits)-1]
	if !in.Messages[0].OutsideHours || in.Away == nil {
		t.Fatalf("outside hours: marked %v, away %+v", in.Messages[0].OutsideHours, in.Away)
	}
	if a := in.Away; a.Reply.Text != "Zurück Montag, 7. Dezember um 09:00 Uhr." || a.Reply.ExternalID != "away:2" ||
		!a.At.Equal(now) || a.Every != 12*time.Hour || a.AgentQuiet != 15*time.Minute {
		t.Errorf("away %+v", a)
	}

	handle(3, `"edited_message":{"message_id":5,"date":1764849600,"edit_date":1764849700,"chat":{"id":77,"type":"private"},"from":{"id":77,"is_bot":false,"first_name":"Ana"},"text":"outside, edited"}`)
	in = st.commits[len(st.commits)-1]
	if len(in.Messages) != 1 || !in.Messages[0].OutsideHours || in.Away != nil {
		t.Errorf("an edit outside hours: %+v, away %+v", in.Messages, in.Away)
	}

	// away_message = "": marked, no away message.
	h.Hours.Messages = nil
	handle(4, german("outside again"))
	if in = st.commits[len(st.commits)-1]; !in.Messages[0].OutsideHours || in.Away != nil {
		t.Errorf("without an away message: marked %v, away %+v", in.Messages[0].OutsideHours, in.Away)
	}
}

func batchOf(u ...intake.Update) []intake.Update { return u }
