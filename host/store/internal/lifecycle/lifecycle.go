// Package lifecycle works out what a lifecycle change does to a
// conversation and the notice that tells the desks, the same way for every
// store driver; the drivers only read and write rows.
package lifecycle

import (
	"fmt"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// AnAgent names the agent of an action that carries no name.
const AnAgent = "an agent"

// TheCustomer is who closed a conversation with /new.
const TheCustomer = "the customer"

// Change is the outcome of an action on a conversation.
type Change struct {
	// Conversation is the conversation after the action.
	Conversation store.Conversation
	// Changed is false when the action did not apply.
	Changed bool
	// Notice is queued to every channel of the conversation when Changed,
	// to the acting channel only otherwise (action_ignored).
	Notice sdk.Notice
}

// Apply works out action a of channel on c at now. newer is the number of
// another conversation of the chat that is not closed (0 when none): a
// closed conversation then cannot reopen, since a chat has one live
// conversation at most.
func Apply(c store.Conversation, channel string, a sdk.Action, now time.Time, newer int64) (Change, error) {
	cur := c.State
	if cur == "" {
		cur = sdk.StateOpen
	}
	next, err := sdk.NextState(cur, a.Kind)
	if err != nil {
		return Change{}, err
	}
	agent := a.Agent
	if agent == "" {
		agent = AnAgent
	}
	why := ""
	if a.Kind == sdk.ActionReopen && cur == sdk.StateClosed && newer != 0 {
		next, why = cur, fmt.Sprintf("the customer has a newer conversation, #%d", newer)
	}
	if a.Kind == sdk.ActionClaim && cur == sdk.StateClaimed && c.ClaimedBy == agent {
		why = "it is already claimed by " + agent
	}
	if next == cur && why == "" {
		why = ignoredWhy(c, a.Kind)
	}
	if why != "" {
		return Change{Conversation: c, Notice: sdk.Notice{
			Code:  sdk.NoticeActionIgnored,
			Text:  fmt.Sprintf("%s could not %s conversation #%d: %s.", capital(agent), a.Kind, c.Number, why),
			Agent: agent, State: cur, SourceChannel: channel, ActionExternalID: a.ExternalID,
		}}, nil
	}
	var n sdk.Notice
	switch a.Kind {
	case sdk.ActionClaim:
		c.State, c.ClaimedBy = sdk.StateClaimed, agent
		n = sdk.Notice{Code: sdk.NoticeConversationClaimed, Text: fmt.Sprintf("%s claimed conversation #%d.", capital(agent), c.Number)}
	case sdk.ActionUnclaim:
		c.State, c.ClaimedBy = sdk.StateOpen, ""
		n = sdk.Notice{Code: sdk.NoticeConversationUnclaimed, Text: fmt.Sprintf("%s unclaimed conversation #%d; it is open again.", capital(agent), c.Number)}
	case sdk.ActionClose:
		c = Close(c, agent, sdk.CloseByAgent, now)
		n = ClosedNotice(c)
	case sdk.ActionReopen:
		c = Reopen(c)
		n = sdk.Notice{Code: sdk.NoticeConversationReopened, Text: fmt.Sprintf("%s reopened conversation #%d.", capital(agent), c.Number)}
	}
	n.Agent, n.State, n.SourceChannel, n.ActionExternalID = agent, c.State, channel, a.ExternalID
	return Change{Conversation: c, Changed: true, Notice: n}, nil
}

// ignoredWhy says why an action of kind k leaves c as it is.
func ignoredWhy(c store.Conversation, k sdk.ActionKind) string {
	switch {
	case c.State == sdk.StateClosed:
		return "it is closed"
	case k == sdk.ActionUnclaim:
		return "nobody has claimed it"
	case k == sdk.ActionReopen:
		return "it is not closed"
	}
	return "nothing would change"
}

// Close returns c closed by who for reason at now.
func Close(c store.Conversation, by, reason string, now time.Time) store.Conversation {
	c.State, c.ClaimedBy = sdk.StateClosed, ""
	c.ClosedBy, c.CloseReason, c.ClosedAt = by, reason, now.UTC().Truncate(time.Microsecond)
	return c
}

// Reopen returns c open again, its close forgotten.
func Reopen(c store.Conversation) store.Conversation {
	c.State, c.ClaimedBy, c.ClosedBy, c.CloseReason, c.ClosedAt = sdk.StateOpen, "", "", "", time.Time{}
	return c
}

// ClosedNotice tells the desks c (just closed) is closed.
func ClosedNotice(c store.Conversation) sdk.Notice {
	var text string
	switch c.CloseReason {
	case sdk.CloseByIdle:
		text = fmt.Sprintf("Conversation #%d was closed after being idle.", c.Number)
	case sdk.CloseByCustomer:
		text = fmt.Sprintf("The customer closed conversation #%d and will start a new one.", c.Number)
	case sdk.CloseByOperator:
		text = fmt.Sprintf("An operator closed conversation #%d.", c.Number)
	default:
		text = fmt.Sprintf("%s closed conversation #%d.", capital(c.ClosedBy), c.Number)
	}
	return sdk.Notice{Code: sdk.NoticeConversationClosed, Text: text, Agent: c.ClosedBy, Reason: c.CloseReason, State: sdk.StateClosed}
}

// CustomerReopenedNotice tells the desks c reopened because the customer
// wrote again.
func CustomerReopenedNotice(c store.Conversation) sdk.Notice {
	return sdk.Notice{Code: sdk.NoticeConversationReopened, State: sdk.StateOpen,
		Text: fmt.Sprintf("Conversation #%d was reopened: the customer wrote again.", c.Number)}
}

// capital upper-cases the first letter of an ASCII name ("an agent").
func capital(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// RatingNotice tells the desks the customer rated c.
func RatingNotice(c store.Conversation, score int) sdk.Notice {
	return sdk.Notice{Code: sdk.NoticeRating, Score: score, Scale: store.RatingScale, State: c.State,
		Text: fmt.Sprintf("The customer rated conversation #%d %d/%d.", c.Number, score, store.RatingScale)}
}
