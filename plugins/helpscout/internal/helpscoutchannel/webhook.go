package helpscoutchannel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
	"github.com/parley-dev/parley/sdk/signature"
)

// Help Scout webhook events the channel acts on or knows to ignore.
const (
	eventAgentReply = "convo.agent.reply.created"
	eventTest       = "helpscout.test"
)

// HandleWebhook verifies a Help Scout webhook (X-HelpScout-Signature over
// the raw body) and turns a convo.agent.reply.created event into replies,
// convo.status into a close or reopen and convo.assigned into a claim or
// unclaim (lifecycle.go). Every other event (notes, customer threads, the
// test ping), and any event about a conversation in another mailbox than
// mailbox_id, is acknowledged and ignored. A bad or missing signature is
// answered 401 and yields nothing.
func (c *Channel) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	st, err := c.st.Get()
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	if req.Method != http.MethodPost {
		return answer(http.StatusMethodNotAllowed, "POST only"), nil
	}
	if err := signature.VerifyHMACSHA1Base64([]byte(st.cfg.WebhookSecret), req.Body, req.HeaderValue("X-HelpScout-Signature")); err != nil {
		st.log.Warn("rejected a webhook with a bad signature; check webhook_secret", "error", err, "remote", req.RemoteAddr)
		return answer(http.StatusUnauthorized, "invalid signature"), nil
	}
	event := req.HeaderValue("X-HelpScout-Event")
	if event != eventAgentReply && event != eventStatus && event != eventAssigned {
		if event != eventTest {
			st.log.Debug("ignored a Help Scout event", "event", event)
		}
		return answer(http.StatusOK, "ignored"), nil
	}
	var conv hsapi.Conversation
	if err := json.Unmarshal(req.Body, &conv); err != nil || conv.ID <= 0 {
		return answer(http.StatusBadRequest, "body is not a Help Scout conversation"), nil
	}
	// One webhook may cover several mailboxes (or serve several Parley
	// channels): a conversation of another mailbox is none of this
	// channel's business. 200, so Help Scout does not retry or disable it.
	if conv.MailboxID != 0 && conv.MailboxID != st.cfg.MailboxID {
		st.log.Debug("ignored a webhook about a conversation in another mailbox", "conversation", conv.ID, "mailbox", conv.MailboxID)
		return answer(http.StatusOK, "ignored: another mailbox"), nil
	}
	if event != eventAgentReply {
		return c.lifecycleHook(ctx, st, event, conv, req.Body)
	}
	threads := conv.Embedded.Threads
	if len(threads) == 0 {
		// The payload may come without _embedded; read the threads instead.
		if threads, err = st.api.Threads(ctx, conv.ID); err != nil {
			return sdk.WebhookResponse{}, classify(err)
		}
	}
	replies := newReplies(conv.ID, threads, time.Now())
	if len(replies) == 0 {
		st.log.Debug("agent reply event without a published reply", "conversation", conv.ID)
	}
	return sdk.WebhookResponse{Status: http.StatusOK, Body: []byte("ok"), Replies: replies}, nil
}

func answer(status int, msg string) sdk.WebhookResponse {
	return sdk.WebhookResponse{Status: status, Header: map[string][]string{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(msg)}
}

// isAgentReply reports whether a thread is a published agent reply that
// has been sent: not a note, a customer thread, a draft, a hidden thread
// or a reply scheduled for later.
func isAgentReply(t hsapi.Thread, now time.Time) bool {
	if t.Type != "reply" || t.CreatedBy.Type != "user" {
		return false
	}
	if t.State != "" && t.State != "published" {
		return false
	}
	return t.Scheduled == nil || t.Scheduled.ScheduledFor == nil || !t.Scheduled.ScheduledFor.After(now)
}

// newReplies picks the replies a webhook is about. The payload is the
// whole conversation and names no "new" thread, so this takes every
// published agent reply since the customer last wrote, and at least the
// newest one: two replies sent before the webhook fired both arrive, and
// older answers to earlier questions are not sent again. The host stores
// each reply once by its thread id, so a retried webhook changes nothing.
func newReplies(convID int64, threads []hsapi.Thread, now time.Time) []sdk.Reply {
	sorted := append([]hsapi.Thread(nil), threads...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].CreatedAt.Equal(sorted[j].CreatedAt) {
			return sorted[i].CreatedAt.After(sorted[j].CreatedAt)
		}
		return sorted[i].ID > sorted[j].ID
	})
	var picked []hsapi.Thread
	for _, t := range sorted { // newest first
		if t.Type == "customer" && len(picked) > 0 {
			break
		}
		if isAgentReply(t, now) {
			picked = append(picked, t)
		}
	}
	ref := formatID(convID)
	out := make([]sdk.Reply, 0, len(picked))
	for i := len(picked) - 1; i >= 0; i-- { // oldest first, as the agent sent them
		t := picked[i]
		r := sdk.Reply{
			ThreadRef:  ref,
			ExternalID: strconv.FormatInt(t.ID, 10),
			Author:     strings.TrimSpace(t.CreatedBy.First + " " + t.CreatedBy.Last),
			Text:       format.HTMLToTelegram(cleanReplyHTML(t.Body)),
			Format:     sdk.FormatTelegramHTML,
		}
		for _, a := range t.Embedded.Attachments {
			r.Attachments = append(r.Attachments, sdk.ReplyAttachment{
				Ref: fmt.Sprintf("%d/%d", convID, a.ID), Name: a.Filename, MIMEType: a.MIMEType, Size: a.Size,
			})
		}
		out = append(out, r)
	}
	return out
}

// OpenAttachment downloads a reply's attachment; ref is
// "<conversation id>/<attachment id>" as HandleWebhook made it. Only ids
// cross the boundary, so the token is only ever sent to api_url.
func (c *Channel) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	st, err := c.st.Get()
	if err != nil {
		return nil, sdk.FileInfo{}, err
	}
	convPart, attPart, ok := strings.Cut(ref, "/")
	convID, err1 := strconv.ParseInt(convPart, 10, 64)
	attID, err2 := strconv.ParseInt(attPart, 10, 64)
	if !ok || errors.Join(err1, err2) != nil {
		return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("attachment ref %q is not <conversation>/<attachment>", ref))
	}
	rc, size, err := st.api.AttachmentData(ctx, convID, attID)
	if err != nil {
		if hsapi.StatusOf(err) == http.StatusNotFound {
			return nil, sdk.FileInfo{}, sdk.Permanent(err)
		}
		return nil, sdk.FileInfo{}, classify(err)
	}
	return rc, sdk.FileInfo{Size: size}, nil
}
