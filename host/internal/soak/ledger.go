package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/internal/percentile"
)

// The ledger is the soak's book of what was sent and what arrived, in both
// directions. A customer message is written "u<user>-m<n>" and an agent
// reply "a<user>-r<n>", n counting from 0 per user, so every arrival says
// which conversation it belongs to and where in it it stands.

// direction names one way through Parley.
type direction string

const (
	inbound  direction = "customer → desk"
	outbound direction = "agent reply → Telegram"
)

// ledger records when each message started its way (the customer's
// message entering fake Telegram, the agent's first POST of a reply);
// arrivals are read from the desk and fake Telegram at the end.
type ledger struct {
	mu sync.Mutex
	// origin[dir][text] is when the message started.
	origin map[direction]map[string]time.Time
	// refused are replies the host never accepted (no 2xx) within the
	// desk's patience: not lost (the desk knows), but reported.
	refused []string
}

func newLedger() *ledger {
	return &ledger{origin: map[direction]map[string]time.Time{inbound: {}, outbound: {}}}
}

// sent records that text started its way at t.
func (l *ledger) sent(dir direction, text string, t time.Time) {
	l.mu.Lock()
	l.origin[dir][text] = t
	l.mu.Unlock()
}

// refuse records a reply the host never accepted: it is not owed.
func (l *ledger) refuse(text string) {
	l.mu.Lock()
	delete(l.origin[outbound], text)
	l.refused = append(l.refused, text)
	l.mu.Unlock()
}

// origins returns a copy of one direction's start times.
func (l *ledger) origins(dir direction) map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]time.Time, len(l.origin[dir]))
	for k, v := range l.origin[dir] {
		out[k] = v
	}
	return out
}

// arrival is one message as it reached its destination: a desk delivery or
// a Telegram send.
type arrival struct {
	// Text is the message text ("u3-m7" or "a3-r7").
	Text string
	// ID is the message id the destination saw: the host's message id at
	// the desk, the reply's id for Telegram.
	ID string
	// Conversation is the desk's conversation id or the Telegram chat id.
	Conversation string
	At           time.Time
}

// orderRules say how far a conversation may step back after a hard kill;
// they are host/e2e's rules (order_test.go), for both directions.
type orderRules struct {
	// RunLength bounds a replay: the next owner of a killed host's work
	// delivers again at most what the dead one had handed out, less than
	// one run back; with 1 a conversation never goes backwards (only the
	// message in flight repeats, at once).
	RunLength int
	// Kills is how many hard faults the run made (host kills, plugin
	// kills, terminated database connections): each may make a
	// conversation step back once.
	Kills int
}

// verdict is what the ledger found for one direction.
type verdict struct {
	Direction direction
	// Sent is how many messages were owed (replies only once accepted).
	Sent int
	// Delivered is how many distinct messages arrived.
	Delivered int
	// Lost are owed messages that never arrived.
	Lost []string
	// Deliveries counts every arrival, repeats included.
	Deliveries int
	// Duplicates are arrivals of a message that had already arrived.
	Duplicates int
	// StepsBack counts a conversation going back to a message it had.
	StepsBack int
	// Violations are broken order or identity rules, in words.
	Violations []string
	// Unexpected are arrivals nobody sent (or not in the soak's format).
	Unexpected int
	// P50, P99 and Max are first-arrival latencies from the origin.
	P50, P99, Max time.Duration
}

// Clean reports whether nothing was lost and order held.
func (v verdict) Clean() bool { return len(v.Lost) == 0 && len(v.Violations) == 0 && v.Unexpected == 0 }

// parseText splits "u3-m7" (prefix "u", sep "-m") into "u3" and 7.
func parseText(text, prefix, sep string) (string, int, bool) {
	user, num, ok := strings.Cut(text, sep)
	if !ok || !strings.HasPrefix(user, prefix) {
		return "", 0, false
	}
	if _, err := strconv.Atoi(user[len(prefix):]); err != nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return user, n, true
}

// judge checks arrivals (in arrival order) against origins. prefix and sep
// are the direction's text format.
func judge(dir direction, origins map[string]time.Time, got []arrival, prefix, sep string, r orderRules) verdict {
	v := verdict{Direction: dir, Sent: len(origins), Deliveries: len(got)}
	highest := map[string]int{}   // user -> highest message number seen
	last := map[string]int{}      // user -> message number seen last
	stepsBack := map[string]int{} // user -> times it went backwards
	idOf := map[string]string{}   // text -> message id of its first arrival
	convOf := map[string]string{} // user -> conversation
	var lat []time.Duration
	violate := func(format string, args ...any) {
		// The first few tell the story; a count says the rest.
		if len(v.Violations) < 20 {
			v.Violations = append(v.Violations, fmt.Sprintf(format, args...))
		} else if len(v.Violations) == 20 {
			v.Violations = append(v.Violations, "… (more left out)")
		}
	}
	for _, a := range got {
		user, n, ok := parseText(a.Text, prefix, sep)
		start, owed := origins[a.Text]
		if !ok || !owed {
			v.Unexpected++
			violate("unexpected arrival %q", a.Text)
			continue
		}
		if c, ok := convOf[user]; ok && c != a.Conversation {
			violate("%s arrived in two conversations (%s, %s)", user, c, a.Conversation)
		}
		convOf[user] = a.Conversation
		prev, seen := idOf[a.Text]
		if seen {
			v.Duplicates++
			if prev != a.ID {
				violate("repeat of %q carries id %s, the first had %s", a.Text, a.ID, prev)
			}
		} else {
			idOf[a.Text] = a.ID
			lat = append(lat, a.At.Sub(start))
		}
		top, started := highest[user]
		switch {
		case !started || n > top:
			if want := top + 1; (!started && n != 0) || (started && n != want) {
				if !started {
					want = 0
				}
				violate("%s: message %d arrived before message %d", user, n, want)
			}
			highest[user] = n
		case !seen:
			violate("%s: message %d first arrived after %d", user, n, top)
		case r.RunLength == 1 && n < last[user]:
			violate("%s: message %d again after %d, with one message per call", user, n, last[user])
		case top-n >= r.RunLength:
			violate("%s: message %d again after %d, more than a run (%d) back", user, n, top, r.RunLength)
		}
		if started && n < last[user] {
			stepsBack[user]++
			v.StepsBack++
			if stepsBack[user] == r.Kills+1 {
				violate("%s went backwards more often than the %d hard faults", user, r.Kills)
			}
		}
		last[user] = n
	}
	v.Delivered = len(idOf)
	for text := range origins {
		if _, ok := idOf[text]; !ok {
			v.Lost = append(v.Lost, text)
		}
	}
	slices.Sort(v.Lost)
	v.P50, v.P99, v.Max = percentile.NearestRank(lat, 0.50), percentile.NearestRank(lat, 0.99), percentile.NearestRank(lat, 1)
	return v
}
