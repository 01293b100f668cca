package app

import (
	"context"
	"errors"
	"io"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// hostService is the sdk.Host one channel's plugin calls back into: replies
// from its own connection (Slack Socket Mode) and Telegram files to upload.
type hostService struct {
	channel string
	store   store.Store
	notify  func()
	files   FileSource
}

// FileSource opens a Telegram file by file_id.
type FileSource interface {
	OpenFile(ctx context.Context, fileID string) (io.ReadCloser, sdk.FileInfo, error)
}

// PostReply stores the reply before answering, so a plugin may acknowledge
// its desk as soon as this returns.
func (h *hostService) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	res, err := h.store.CommitReplies(ctx, h.channel, []sdk.Reply{r})
	if err != nil {
		if errors.Is(err, store.ErrUnknownConversation) {
			return sdk.PostReplyResult{}, sdk.Permanent(err)
		}
		return sdk.PostReplyResult{}, err
	}
	if !res[0].Duplicate && h.notify != nil {
		h.notify()
	}
	return sdk.PostReplyResult{Duplicate: res[0].Duplicate, ConversationID: res[0].ConversationID}, nil
}

// OpenFile streams a Telegram file to the plugin.
func (h *hostService) OpenFile(ctx context.Context, fileRef string) (io.ReadCloser, sdk.FileInfo, error) {
	return h.files.OpenFile(ctx, fileRef)
}

// hostFor is the Host one channel's plugin (or in-process channel) calls.
func (h *host) hostFor(channel string) sdk.Host {
	return &hostService{channel: channel, store: h.store, notify: h.disp.Notify, files: h.tg}
}
