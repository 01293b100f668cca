package e2e

import (
	"testing"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// defaultRunLength is config's dispatch.run_length when a test sets none.
const defaultRunLength = 32

// orderRules say what the desk may see of a conversation across kills.
type orderRules struct {
	// Users is how many conversations must have arrived.
	Users int
	// RunLength is dispatch.run_length: a killed host's next owner may
	// deliver again what the dead one had handed its plugin, at most one
	// run back; with 1 the desk never sees a conversation go backwards.
	RunLength int
	// Kills is how many hard kills (host or plugin) the test made: each may
	// make a conversation step back once.
	Kills int
}

// orderStats count what checkOrder saw.
type orderStats struct {
	Distinct, Duplicates, StepsBack int
}

// checkOrder asserts, for texts "u<user>-m<n>", that each user kept one
// conversation; that each conversation's messages first arrived in order,
// none skipped; that a message delivered again carries the same id; and
// that a conversation only steps back to repeat what it already got,
// within the rules.
func checkOrder(t *testing.T, got []webhookdesk.Delivery, r orderRules) orderStats {
	t.Helper()
	highest := map[string]int{}   // conversation -> highest message number seen
	last := map[string]int{}      // conversation -> message number seen last
	stepsBack := map[string]int{} // conversation -> times it went backwards
	idOf := map[string]string{}   // text -> message id
	convOf := map[string]string{} // user prefix -> conversation
	var st orderStats
	for _, d := range got {
		user, n := parseText(t, d.Message.Text)
		if c, ok := convOf[user]; ok && c != d.ConversationID {
			t.Fatalf("user %s appears in two conversations", user)
		}
		convOf[user] = d.ConversationID
		prev, seen := idOf[d.Message.Text]
		if seen {
			st.Duplicates++
			if prev != d.Message.ID {
				t.Fatalf("duplicate of %q carries id %s, first had %s", d.Message.Text, d.Message.ID, prev)
			}
		}
		idOf[d.Message.Text] = d.Message.ID
		conv := d.ConversationID
		top, started := highest[conv]
		switch {
		case !started || n > top:
			if started && n != top+1 {
				t.Fatalf("conversation %s: message %d arrived before message %d", conv, n, top+1)
			}
			highest[conv] = n
		case !seen:
			t.Fatalf("conversation %s: message %d first arrived after %d", conv, n, top)
		case r.RunLength == 1 && n < last[conv]:
			t.Fatalf("conversation %s: message %d delivered again after %d, with one message per call", conv, n, last[conv])
		case top-n >= r.RunLength:
			t.Fatalf("conversation %s: message %d delivered again after %d, more than a run (%d) back", conv, n, top, r.RunLength)
		}
		if started && n < last[conv] {
			stepsBack[conv]++
			st.StepsBack++
			if stepsBack[conv] > r.Kills {
				t.Fatalf("conversation %s went backwards %d times in %d kills", conv, stepsBack[conv], r.Kills)
			}
		}
		last[conv] = n
	}
	if len(convOf) != r.Users {
		t.Fatalf("%d conversations, want %d", len(convOf), r.Users)
	}
	st.Distinct = len(idOf)
	return st
}
