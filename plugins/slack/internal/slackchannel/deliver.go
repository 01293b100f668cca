package slackchannel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
// posts the header as the thread parent; every message is a reply in it.
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
	if fresh {
		text, blocks := headerMessage(req.Conversation, req.Contact)
		_, ts, err := st.api.PostMessageContext(ctx, st.channelID,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionDisableLinkUnfurl())
		if err != nil {
			return sdk.DeliverResponse{}, classify("chat.postMessage (thread parent)", err)
		}
		ref = threadRef{Channel: st.channelID, TS: ts}
	}

	text := renderMessage(req.Message)
	upload := st.cfg.UploadFiles && st.host != nil
	if !upload {
		text = joinLines(text, attachmentLines(req.Message.Attachments, true))
	} else {
		text = joinLines(text, attachmentLines(req.Message.Attachments, false))
	}
	opts := []slack.MsgOption{slack.MsgOptionTS(ref.TS)}
	if st.customize {
		opts = append(opts, slack.MsgOptionUsername(req.Contact.DisplayName()))
		if req.Contact.PhotoURL != "" {
			opts = append(opts, slack.MsgOptionIconURL(req.Contact.PhotoURL))
		}
	} else {
		// Without chat:write.customize Slack would silently show the bot's
		// name, so the customer's name leads the text instead.
		text = "*" + escape(req.Contact.DisplayName()) + "*: " + text
	}
	deskID := ""
	if strings.TrimSpace(text) != "" {
		opts = append(opts, slack.MsgOptionText(text, false))
		ts, err := c.post(ctx, st, opts, fresh)
		if err != nil {
			return sdk.DeliverResponse{}, err
		}
		deskID = ts
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

// post sends one thread reply. After a fresh parent it sits out a short
// rate limit once, so the host does not retry into a second parent.
func (c *Channel) post(ctx context.Context, st *state, opts []slack.MsgOption, afterParent bool) (string, error) {
	_, ts, err := st.api.PostMessageContext(ctx, st.channelID, opts...)
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok && afterParent && rl.RetryAfter <= maxInlineRetry {
		select {
		case <-time.After(rl.RetryAfter):
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
