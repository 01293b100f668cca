package helpscoutchannel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
)

// Help Scout events that change a conversation's lifecycle.
const (
	eventStatus   = "convo.status"
	eventAssigned = "convo.assigned"
)

// Help Scout statuses the channel maps: closed closes, active (or its
// older name open) reopens; pending and spam have no Parley state.
const (
	statusActive = "active"
	statusClosed = "closed"
)

// echoTTL bounds how long a status the channel set itself is expected
// back as a convo.status event. Help Scout sends it within seconds; a
// longer-lived entry could swallow a real change.
const echoTTL = 10 * time.Minute

// echoes remembers the statuses the channel set through the API, so the
// convo.status event Help Scout sends about that change is not reported
// back to the host as an agent's action.
type echoes struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[int64]echo
}

type echo struct {
	status string
	until  time.Time
}

func newEchoes(now func() time.Time) *echoes { return &echoes{now: now, m: map[int64]echo{}} }

// expect records that the channel is setting conv's status.
func (e *echoes) expect(conv int64, status string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.m) >= cacheLimit {
		clear(e.m)
	}
	e.m[conv] = echo{status: status, until: e.now().Add(echoTTL)}
}

// take reports whether a status event for conv is the echo of the
// channel's own change, and forgets the expectation either way: any later
// event about the conversation is a person's.
func (e *echoes) take(conv int64, status string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	ex, ok := e.m[conv]
	delete(e.m, conv)
	return ok && ex.status == status && e.now().Before(ex.until)
}

// lifecycleHook turns a convo.status or convo.assigned event into an
// action and reports it to the host. A status with no Parley equivalent,
// the echo of the channel's own change, and a conversation Parley does not
// know (an ordinary e-mail in the same mailbox) are answered 200 and
// dropped, so Help Scout neither retries nor disables the webhook.
func (c *Channel) lifecycleHook(ctx context.Context, st *state, event string, conv hsapi.Conversation, raw []byte) (sdk.WebhookResponse, error) {
	a, why := st.actionOf(event, conv, raw)
	if why != "" {
		st.log.Debug("Help Scout event is no action", "event", event, "conversation", conv.ID, "reason", why)
		return answer(http.StatusOK, "ignored: "+why), nil
	}
	if st.host == nil {
		// No callback (a Describe-only or test run): the host applies
		// what the response carries.
		return sdk.WebhookResponse{Status: http.StatusOK, Body: []byte("ok"), Actions: []sdk.Action{a}}, nil
	}
	if _, err := st.host.PostAction(ctx, a); err != nil {
		if sdk.IsPermanent(err) {
			st.log.Info("Help Scout change not applied", "event", event, "conversation", conv.ID, "error", err)
			return answer(http.StatusOK, "ignored: "+err.Error()), nil
		}
		return sdk.WebhookResponse{}, err
	}
	return answer(http.StatusOK, "ok"), nil
}

// actionOf reads the action an event stands for; why is set when it
// stands for none. The action's ExternalID names the change itself (the
// conversation, the new status or assignee, and when it happened), so
// Help Scout's retries of one event are one action, and two closes of one
// conversation are two.
func (st *state) actionOf(event string, conv hsapi.Conversation, raw []byte) (sdk.Action, string) {
	a := sdk.Action{ThreadRef: formatID(conv.ID)}
	switch event {
	case eventStatus:
		status := conv.Status
		if status == "open" {
			status = statusActive
		}
		switch status {
		case statusClosed:
			a.Kind, a.Agent = sdk.ActionClose, personName(conv.ClosedByUser)
		case statusActive:
			a.Kind = sdk.ActionReopen
		default:
			return a, fmt.Sprintf("status %q has no Parley equivalent", conv.Status)
		}
		if st.echoes.take(conv.ID, status) {
			return a, "the channel's own status change"
		}
		when := conv.UserUpdatedAt
		if status == statusClosed && conv.ClosedAt != "" {
			when = conv.ClosedAt
		}
		a.ExternalID = eventStatus + "/" + strconv.FormatInt(conv.ID, 10) + "/" + status + "/" + stamp(when, raw)
	case eventAssigned:
		who := int64(0)
		if conv.Assignee != nil && conv.Assignee.ID > 0 {
			a.Kind, a.Agent, who = sdk.ActionClaim, personName(conv.Assignee), conv.Assignee.ID
		} else {
			a.Kind = sdk.ActionUnclaim
		}
		a.ExternalID = eventAssigned + "/" + strconv.FormatInt(conv.ID, 10) + "/" + strconv.FormatInt(who, 10) + "/" + stamp(conv.UserUpdatedAt, raw)
	}
	return a, ""
}

// stamp is when a change happened, or, when the payload does not say, a
// digest of the payload (a retry sends the same bytes).
func stamp(when string, raw []byte) string {
	if when != "" {
		return when
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// personName is a user's display name: first and last name, else e-mail;
// "" (the host says "an agent") when unknown.
func personName(p *hsapi.Person) string {
	if p == nil {
		return ""
	}
	if n := strings.TrimSpace(p.First + " " + p.Last); n != "" {
		return n
	}
	return p.Email
}

// isLifecycle reports whether a notice is one deliverLifecycle handles.
func isLifecycle(n *sdk.Notice) bool {
	return n != nil && n.Code.Lifecycle()
}

// deliverLifecycle shows a lifecycle notice in Help Scout. A close or
// reopen from elsewhere (another desk, the host, an operator) sets the
// Help Scout conversation's status, then notes who did it; the echo of
// this channel's own action changes nothing, since Help Scout already
// shows it. Claims from elsewhere and ratings are notes. An ignored
// status sync ("close" of a closed conversation) is dropped when the two
// sides agree already.
func (c *Channel) deliverLifecycle(ctx context.Context, st *state, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	n := req.Message.Notice
	if len(req.ThreadRef) == 0 {
		// No Help Scout conversation yet: nothing to change or annotate.
		return sdk.DeliverResponse{}, nil
	}
	convID, err := parseRef(req.ThreadRef)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	own := n.SourceChannel != "" && n.SourceChannel == st.name
	var status, note string
	switch n.Code {
	case sdk.NoticeConversationClosed:
		status, note = statusClosed, noticeSentence(n, "The conversation was closed in Parley.")
	case sdk.NoticeConversationReopened:
		status, note = statusActive, noticeSentence(n, "The conversation was reopened in Parley.")
	case sdk.NoticeConversationClaimed, sdk.NoticeConversationUnclaimed:
		note = noticeSentence(n, "")
	case sdk.NoticeActionIgnored:
		if !statusAgrees(n) {
			note = noticeSentence(n, "")
		}
		own = false // only the acting channel gets it, and it is news to it
	case sdk.NoticeRating:
		scale := n.Scale
		if scale <= 0 {
			scale = 5
		}
		note = fmt.Sprintf("Customer rated %d/%d", n.Score, scale)
	}
	resp := sdk.DeliverResponse{ThreadRef: req.ThreadRef}
	if own {
		return resp, nil
	}
	if status != "" {
		st.echoes.expect(convID, status)
		if err := st.api.SetStatus(ctx, convID, status); err != nil {
			// Not set (as far as we know): a person's change of the
			// same status must not be taken for the echo. Should Help
			// Scout have applied it after all, its event becomes an
			// action the host finds already done, which is harmless.
			st.echoes.take(convID, status)
			if hsapi.StatusOf(err) == http.StatusNotFound {
				// Deleted or merged away in Help Scout: nothing left to
				// close or reopen there.
				st.log.Warn("the Help Scout conversation is gone; status not set", "conversation", convID, "status", status)
				return resp, nil
			}
			return sdk.DeliverResponse{}, classify(err)
		}
	}
	if note == "" {
		return resp, nil
	}
	id, err := st.api.AddNote(ctx, convID, html.EscapeString(note))
	if err != nil {
		if status != "" {
			// The status is set, which is what matters; a retry would
			// only repeat it. The note is logged, not retried.
			st.log.Warn("could not note who changed the status", "conversation", convID, "error", err)
			return resp, nil
		}
		return sdk.DeliverResponse{}, classify(err)
	}
	resp.DeskMessageID = strconv.FormatInt(id, 10)
	return resp, nil
}

// statusAgrees reports whether an ignored action was a status event of
// this channel's that Parley's state already matches (closing a closed
// conversation, reopening an open one): nothing to tell the agents. A
// reopen Parley refused (the customer has a newer conversation) leaves
// the two apart and is noted.
func statusAgrees(n *sdk.Notice) bool {
	parts := strings.SplitN(n.ActionExternalID, "/", 4)
	if len(parts) != 4 || parts[0] != eventStatus {
		return false
	}
	return (parts[2] == statusClosed) == (n.State == sdk.StateClosed)
}

// noticeSentence is the host's sentence for a notice, or fallback.
func noticeSentence(n *sdk.Notice, fallback string) string {
	if t := strings.TrimSpace(n.Text); t != "" {
		return t
	}
	return fallback
}

// linkPrevious notes, in the first thread of a conversation that follows
// a closed one, where the customer's previous conversation is.
func (c *Channel) linkPrevious(ctx context.Context, st *state, convID int64, previousRef []byte) {
	prev, err := parseRef(previousRef)
	if err != nil {
		st.log.Warn("previous thread ref is not a Help Scout conversation id; not linked", "conversation", convID)
		return
	}
	note := fmt.Sprintf(`This Telegram customer's previous conversation, closed before this one started: <a href="%s%d">conversation %d</a>.`,
		webConversationURL, prev, prev)
	// The message is already delivered: a missing link is logged, not
	// retried (a retry would post the message twice).
	if _, err := st.api.AddNote(ctx, convID, note); err != nil {
		st.log.Warn("could not link the previous conversation", "conversation", convID, "previous", prev, "error", err)
	}
}

// convID reads a thread ref this channel made; 0 when it is none.
func convID(ref []byte) int64 {
	id, _ := strconv.ParseInt(string(ref), 10, 64)
	return id
}
