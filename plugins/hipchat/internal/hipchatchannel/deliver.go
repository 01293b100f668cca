package hipchatchannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk"
)

// Deliver posts a message to the room as notifications. The thread ref is
// the conversation number, so "#42" in an agent's message maps back to it
// without any state. HipChat returns no id for a notification, so
// DeskMessageID stays empty.
//
// A message split into several notifications is not atomic: if a later
// part fails, the retry posts the earlier parts again. HipChat has no
// idempotency key for notifications; a rare duplicate beats a lost part.
func (c *Channel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	st, err := c.state.Get()
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	if req.Conversation.Number <= 0 {
		return sdk.DeliverResponse{}, sdk.Permanent(errors.New("hipchat: conversation has no number to use as its #handle"))
	}
	for _, n := range render(req, st.cfg) {
		if err := st.client.Notify(ctx, st.cfg.Room, n); err != nil {
			return sdk.DeliverResponse{}, classify(err, st.cfg.Room)
		}
	}
	return sdk.DeliverResponse{ThreadRef: []byte(strconv.FormatInt(req.Conversation.Number, 10))}, nil
}

// classify maps a HipChat failure to what the host should do: wait for the
// rate window on 429, stop and tell the operator on what retrying cannot
// fix, retry with backoff otherwise (5xx, network).
func classify(err error, room string) error {
	var e *hcapi.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Status {
	case http.StatusTooManyRequests:
		return sdk.RetryAfter(err, e.RetryAfter)
	case http.StatusUnauthorized:
		return sdk.Permanent(fmt.Errorf("HipChat rejected the token (invalid, expired, for another room, or missing the send_notification scope): %w", err))
	case http.StatusForbidden:
		return sdk.Permanent(fmt.Errorf("HipChat forbids posting to room %q (private room, or the token's user is not a member): %w", room, err))
	case http.StatusNotFound:
		return sdk.Permanent(fmt.Errorf("HipChat has no room %q (renamed or deleted? configure its numeric id): %w", room, err))
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
		return sdk.Permanent(err)
	}
	return err
}
