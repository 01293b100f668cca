// Package route is the routing both store drivers apply at intake: how a
// conversation's route is stored (one text column), which update decides
// it, and which channels a message is queued to.
package route

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/internal/payload"
	"github.com/parley-dev/parley/sdk"
)

// Encode is the route column's value: "" (RouteDefault), "undecided",
// "menu", or the channels of a set route as a JSON array.
func Encode(state store.RouteState, channels []string) string {
	if state != store.RouteSet {
		return string(state)
	}
	b, _ := json.Marshal(append([]string{}, channels...)) // strings always encode
	return string(b)
}

// Decode reads the route column into c.
func Decode(col string, c *store.Conversation) {
	c.RouteState, c.Route = store.RouteDefault, nil
	switch {
	case col == "":
	case strings.HasPrefix(col, "["):
		var chs []string
		if json.Unmarshal([]byte(col), &chs) == nil {
			c.RouteState, c.Route = store.RouteSet, chs
		}
	default:
		c.RouteState = store.RouteState(col)
	}
}

// Decision is what intake does to a conversation's route.
type Decision int

// Decisions.
const (
	Keep    Decision = iota // the route stays as it is
	Changed                 // c's route changed: write it
	AskMenu                 // c waits for the menu (changed): write it, queue the question
)

// Apply decides c's route for update in: when routing is configured and
// the update started c (created) or c is still undecided. An update that
// decides nothing leaves a new conversation undecided.
func Apply(c *store.Conversation, in store.Inbound, created bool) Decision {
	r := in.Routing
	if r == nil || !(created || c.RouteState == store.RouteUndecided) {
		return Keep
	}
	switch {
	case r.Channels != nil:
		c.RouteState, c.Route = store.RouteSet, slices.Clone(r.Channels)
		return Changed
	case r.Menu != nil && created:
		c.RouteState, c.Route = store.RouteMenu, nil
		return AskMenu
	case created:
		c.RouteState, c.Route = store.RouteUndecided, nil
		return Changed
	}
	return Keep
}

// Channels are the channels a message of c is queued to: its route when
// set, none while it waits for the menu, else those intake named.
func Channels(c store.Conversation, in store.Inbound) []string {
	switch c.RouteState {
	case store.RouteSet:
		return c.Route
	case store.RouteMenu:
		return nil
	}
	return in.Channels
}

// Union returns a's channels followed by those of b not in a.
func Union(a, b []string) []string {
	out := slices.Clone(a)
	for _, ch := range b {
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// Minus returns a's channels not in b.
func Minus(a, b []string) []string {
	var out []string
	for _, ch := range a {
		if !slices.Contains(b, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// TransferNotice is the notice the channels a conversation leaves get.
func TransferNotice(t store.Transfer) sdk.Notice {
	who := "An operator"
	if t.Channel != "" {
		who = "An agent"
		if t.Agent != "" {
			who = t.Agent
		}
	}
	return sdk.Notice{Code: sdk.NoticeTransfer, Agent: t.Agent, SourceChannel: t.Channel, ActionExternalID: t.ExternalID,
		Channels: slices.Clone(t.Channels),
		Text:     who + " transferred this conversation to " + strings.Join(t.Channels, ", ") + "."}
}

// Entry is one line of a transfer's history.
type Entry struct {
	Time time.Time
	// Who wrote it: "customer", an agent's name, or "notice".
	Who  string
	Text string
}

// EntryOf reads a stored message (or, with reply, an agent reply) as a
// history entry; ok is false for what the history leaves out (an earlier
// transfer's context).
func EntryOf(reply bool, body []byte, at time.Time) (Entry, bool, error) {
	if reply {
		r, err := payload.DecodeReply(body)
		if err != nil {
			return Entry{}, false, err
		}
		who := r.Author
		if who == "" {
			who = "agent"
		}
		return Entry{Time: at, Who: who, Text: r.Text}, true, nil
	}
	m, err := payload.DecodeMessage(body)
	if err != nil {
		return Entry{}, false, err
	}
	switch {
	case m.Kind == sdk.KindNotice && strings.HasPrefix(m.Text, contextPrefix):
		return Entry{}, false, nil
	case m.Kind == sdk.KindNotice:
		return Entry{Time: at, Who: "notice", Text: m.Text}, true, nil
	}
	return Entry{Time: at, Who: "customer", Text: m.Text}, true, nil
}

const contextPrefix = "Transferred from another desk"

// ContextNotice is the transfer notice the channels a conversation is
// transferred to get: its text is the conversation's latest messages and
// replies, oldest first.
func ContextNotice(t store.Transfer, history []Entry) sdk.Notice {
	n := TransferNotice(t)
	n.Text = contextText(t, history)
	return n
}

func contextText(t store.Transfer, history []Entry) string {
	var b strings.Builder
	b.WriteString(contextPrefix)
	if t.Agent != "" {
		b.WriteString(" by " + t.Agent)
	}
	if len(history) == 0 {
		b.WriteString(". No earlier messages.")
		return b.String()
	}
	b.WriteString(". The latest messages:")
	for _, e := range history {
		b.WriteString("\n")
		b.WriteString(e.Time.UTC().Format("2006-01-02 15:04") + " " + e.Who + ": ")
		b.WriteString(strings.ReplaceAll(e.Text, "\n", "\n    "))
	}
	return b.String()
}
