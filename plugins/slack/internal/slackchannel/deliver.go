package slackchannel

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/slack-go/slack"
)

// maxInlineRetry is the longest rate-limit wait Deliver sits out itself
// after creating a thread parent: returning the error instead would make
// the host's retry post a second parent.
const maxInlineRetry = 5 * time.Second

// maxBufferedUpload caps a file of unknown size read into memory to learn
// its size (Slack's upload needs the length first). Telegram bots cannot
// fetch files over 20 MB anyway.
const maxBufferedUpload = 20 << 20

// Deliver implements [sdk.Channel]. The first delivery of a conversation
// posts the header as the thread parent; every message is a reply in it,
// and an edit of one already there updates it in place.
func (c *Channel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	st, err := c.configured()
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	ref, err := parseThreadRef(req.ThreadRef)
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(err)
	}
	fresh := ref.zero()
	if req.Message.Kind == sdk.KindNotice && lifecycleNotice(req.Message.Notice) {
		return c.deliverLifecycle(ctx, st, ref, req)
	}
	if req.Message.Kind == sdk.KindNotice && lineNotice(req.Message.Notice) {
		return c.deliverNotice(ctx, st, ref, req)
	}
	if req.Message.EditOf != "" && req.EditOfDeskMessageID != "" && !fresh {
		return c.deliverEdit(ctx, st, ref, req)
	}
	if fresh {
		// A conversation that follows a closed one gets a header of its
		// own, linking the previous thread.
		v := headerView{State: req.Conversation.State, Agent: req.Conversation.ClaimedBy,
			Previous: previousLine(st, req.Conversation, req.PreviousThreadRef)}
		if ref, err = c.postHeader(ctx, st, req.Conversation, req.Contact, v); err != nil {
			return sdk.DeliverResponse{}, err
		}
	}

	text := renderMessage(req.Message)
	upload := st.cfg.UploadFiles && st.host != nil
	if !upload {
		text = joinLines(text, attachmentLines(req.Message.Attachments, true))
	} else {
		text = joinLines(text, attachmentLines(req.Message.Attachments, false))
	}
	opts, text := asCustomer(st, req.Contact, text)
	opts = append(opts, slack.MsgOptionTS(ref.TS))
	deskID := ""
	if strings.TrimSpace(text) != "" {
		opts = append(opts, slack.MsgOptionText(text, false))
		ts, err := c.post(ctx, st, opts, fresh)
		if err != nil {
			return sdk.DeliverResponse{}, err
		}
		deskID = ts
		st.rememberCustomerPost(req.Message, ref, ts)
	}
	if upload {
		for _, a := range req.Message.Attachments {
			if a.TooLarge || a.FileRef == "" {
				continue
			}
			id, err := c.upload(ctx, st, ref, a)
			if err != nil {
				// The text is already in the thread; a retry would post it
				// again, so the file falls back to its link.
				st.log.Warn("upload failed, posting the link instead", "file", a.Name, "error", err)
				line := linkLine(a) + " _(upload failed)_"
				if ts, perr := c.post(ctx, st, []slack.MsgOption{slack.MsgOptionTS(ref.TS),
					slack.MsgOptionText(line, false)}, false); perr == nil && deskID == "" {
					deskID = ts
				}
				continue
			}
			if deskID == "" {
				deskID = id
			}
		}
	}
	return sdk.DeliverResponse{ThreadRef: ref.encode(), DeskMessageID: deskID}, nil
}

// asCustomer gives a reply the customer's name: as the poster's name and
// photo with chat:write.customize, else leading text, since without the
// scope Slack silently shows the bot's name.
func asCustomer(st *state, ct sdk.Contact, text string) ([]slack.MsgOption, string) {
	if !st.customize {
		return nil, "*" + escape(ct.DisplayName()) + "*: " + text
	}
	opts := []slack.MsgOption{slack.MsgOptionUsername(ct.DisplayName())}
	if ct.PhotoURL != "" {
		opts = append(opts, slack.MsgOptionIconURL(ct.PhotoURL))
	}
	return opts, text
}

// uneditable are the chat.update errors that mean this message cannot take
// the edit (gone, not the app's, past the workspace's edit window, too long
// now, in a frozen channel) while a new reply may still reach the agent.
var uneditable = map[string]bool{
	"message_not_found":   true,
	"cant_update_message": true,
	"edit_window_closed":  true,
	"msg_too_long":        true,
	"is_inactive":         true,
}

// slackTS matches a message ts ("1700000123.000200"). A desk message id
// can also be a file id, when the original was only files.
var slackTS = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// deliverEdit shows a Telegram edit where the original sits: chat.update
// replaces the text of the reply the original became, so the thread reads
// as the customer's chat now does. Files are never sent again (a Telegram
// edit changes only text or caption). When the original cannot be edited,
// the edit becomes a marked reply of its own so the agent still sees it;
// rate limits and outages are returned for the host to retry instead.
func (c *Channel) deliverEdit(ctx context.Context, st *state, ref threadRef, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	orig := req.EditOfDeskMessageID
	// Same text as the original got in Deliver: the files' lines included,
	// or the original's links would vanish with the update.
	linked := !st.cfg.UploadFiles || st.host == nil
	atts := attachmentLines(req.Message.Attachments, linked)
	body := joinLines(renderContent(req.Message), atts)
	if strings.TrimSpace(body) != "" && slackTS.MatchString(orig) {
		_, text := asCustomer(st, req.Contact, markEdited(body))
		// chat.update defaults parse to "client", unlike chat.postMessage;
		// none keeps the text exactly as escaped and rendered.
		_, _, _, err := st.api.UpdateMessageContext(ctx, ref.Channel, orig,
			slack.MsgOptionText(text, false), slack.MsgOptionParse(false))
		if err == nil {
			return sdk.DeliverResponse{ThreadRef: ref.encode(), DeskMessageID: orig}, nil
		}
		code := slackCode(err)
		if !uneditable[code] {
			return sdk.DeliverResponse{}, classify("chat.update", err)
		}
		st.log.Info("cannot edit the original in Slack; posting the edit as a new reply", "ts", orig, "reason", code)
	}
	opts, text := asCustomer(st, req.Contact, joinLines(renderMessage(req.Message), atts))
	opts = append(opts, slack.MsgOptionTS(ref.TS), slack.MsgOptionText(text, false))
	ts, err := c.post(ctx, st, opts, false)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	st.rememberCustomerPost(req.Message, ref, ts)
	return sdk.DeliverResponse{ThreadRef: ref.encode(), DeskMessageID: ts}, nil
}

// rememberCustomerPost notes whether ts shows a customer's message or a
// notice, so an agent's reaction on it needs no read-back.
func (st *state) rememberCustomerPost(m sdk.Message, ref threadRef, ts string) {
	info := headerInfo{}
	if m.Kind != sdk.KindNotice {
		info = headerInfo{customer: true, thread: ref.TS}
	}
	st.headers.put(ref.Channel+":"+ts, info)
}

// post sends one thread reply. After a fresh parent it sits out a short
// rate limit once, so the host does not retry into a second parent.
func (c *Channel) post(ctx context.Context, st *state, opts []slack.MsgOption, afterParent bool) (string, error) {
	_, ts, err := st.api.PostMessageContext(ctx, st.channelID, opts...)
	if wait, ok := rateLimited(err); ok && afterParent && wait <= maxInlineRetry {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return "", ctx.Err()
		}
		_, ts, err = st.api.PostMessageContext(ctx, st.channelID, opts...)
	}
	if err != nil {
		return "", classify("chat.postMessage", err)
	}
	return ts, nil
}

// upload streams a Telegram file from the host into the thread.
func (c *Channel) upload(ctx context.Context, st *state, ref threadRef, a sdk.Attachment) (string, error) {
	rc, info, err := st.host.OpenFile(ctx, a.FileRef)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", a.Name, err)
	}
	defer rc.Close()
	name := firstNonEmpty(a.Name, info.Name, "file")
	size := firstPositive(a.Size, info.Size)
	var r io.Reader = rc
	if size <= 0 {
		buf, err := io.ReadAll(io.LimitReader(rc, maxBufferedUpload+1))
		if err != nil {
			return "", fmt.Errorf("read %s: %w", name, err)
		}
		if len(buf) > maxBufferedUpload {
			return "", fmt.Errorf("%s: size unknown and over %d bytes", name, maxBufferedUpload)
		}
		size, r = int64(len(buf)), bytes.NewReader(buf)
	}
	if size == 0 {
		return "", fmt.Errorf("%s is empty", name)
	}
	f, err := st.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: r, FileSize: int(size), Filename: name, Title: name,
		Channel: ref.Channel, ThreadTimestamp: ref.TS,
	})
	if err != nil {
		return "", classify("files upload", err)
	}
	return f.ID, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstPositive(n ...int64) int64 {
	for _, v := range n {
		if v > 0 {
			return v
		}
	}
	return 0
}
