package pluginclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/grpcplugin"
	"github.com/parley-dev/parley/sdk/internal/wire"
)

// DeliverBatchRequest is a run of one conversation's messages for one
// channel, oldest first: what the host sends when a conversation has a
// backlog, so the run costs one round trip to the plugin instead of one per
// message. Plugin authors never see it: sdk.Serve delivers a batch through
// the channel's Deliver, item by item.
type DeliverBatchRequest struct {
	Conversation sdk.Conversation
	Contact      sdk.Contact
	// ThreadRef is the lane's thread before the first item; empty when the
	// conversation has not reached the channel yet.
	ThreadRef []byte
	Items     []BatchItem
	// Budget is how long new items may be started after the batch began;
	// zero means no limit. The first item is always attempted.
	Budget time.Duration
	// PreviousThreadRef is handed to the first item's Deliver (see
	// [DeliverRequest.PreviousThreadRef]).
	PreviousThreadRef []byte
}

// BatchItem is one message of a DeliverBatchRequest.
type BatchItem struct {
	Message sdk.Message
	// EditOfDeskMessageID is as in DeliverRequest.
	EditOfDeskMessageID string
}

// DeliverBatchResponse says how far a batch got.
type DeliverBatchResponse struct {
	// Delivered holds the results of the first len(Delivered) items.
	Delivered []sdk.DeliverResponse
	// Err is why item len(Delivered) failed, with the markers a Deliver
	// error carries (RetryHint, IsPermanent). It is nil when every item
	// was delivered, or when the budget ran out before the next item.
	Err error
}

// BatchDeliverer is implemented by channels that take a batch in one call:
// the host's client of a plugin process does.
type BatchDeliverer interface {
	DeliverBatch(ctx context.Context, req DeliverBatchRequest) DeliverBatchResponse
}

// DeliverBatch delivers req through ch: in one call when ch is a
// BatchDeliverer and there is more than one item, else item by item
// through ch.Deliver with the semantics of the DeliverBatch RPC (each item
// gets the thread reference the one before returned; the first failure or
// the end of the budget stops it).
func DeliverBatch(ctx context.Context, ch sdk.Channel, req DeliverBatchRequest) DeliverBatchResponse {
	if b, ok := ch.(BatchDeliverer); ok && len(req.Items) > 1 {
		return b.DeliverBatch(ctx, req)
	}
	return deliverEach(ctx, ch.Deliver, req)
}

// deliverEach is the one loop behind a batch (wire.DeliverEach, which the
// plugin side runs too) with the host's types.
func deliverEach(ctx context.Context, deliver func(context.Context, sdk.DeliverRequest) (sdk.DeliverResponse, error), req DeliverBatchRequest) DeliverBatchResponse {
	done, err := wire.DeliverEach(ctx, len(req.Items), req.Budget, req.ThreadRef,
		func(ctx context.Context, i int, ref []byte) (sdk.DeliverResponse, []byte, error) {
			it := req.Items[i]
			resp, err := deliver(ctx, sdk.DeliverRequest{
				Conversation: req.Conversation, Contact: req.Contact, Message: it.Message,
				ThreadRef: ref, EditOfDeskMessageID: it.EditOfDeskMessageID,
				PreviousThreadRef: wire.Previous(i, req.PreviousThreadRef),
			})
			return resp, resp.ThreadRef, err
		})
	return DeliverBatchResponse{Delivered: done, Err: err}
}

// ErrRateLimited marks a call refused because its caller went over a rate
// limit: the host's answer to a plugin posting too fast. Wrapped in
// sdk.RetryAfter, it crosses the plugin boundary as ResourceExhausted with
// the wait in RetryInfo (a plain RetryAfter is Unavailable); the plugin sees
// an *sdk.RemoteError with Code "ResourceExhausted" and the wait in
// sdk.RetryHint.
var ErrRateLimited = errors.New("rate limit exceeded")

// codec maps the host side's errors to gRPC statuses and back with the
// SDK's markers and ErrRateLimited (see package sdk/internal/wire).
var codec = &wire.Codec{
	RetryAfter: sdk.RetryAfter, RetryHint: sdk.RetryHint, Permanent: sdk.Permanent, IsPermanent: sdk.IsPermanent,
	NotConfigured: sdk.ErrNotConfigured, RateLimited: ErrRateLimited,
	Remote: func(code, msg string) error { return &sdk.RemoteError{Code: code, Message: msg} },
}

// errTooManyReplies refuses a webhook answer over MaxWebhookReplies.
func errTooManyReplies(n int) error { return errTooMany(n, "replies") }

// errTooMany refuses a webhook answer with more than
// grpcplugin.MaxWebhookReplies replies or actions.
func errTooMany(n int, what string) error {
	return sdk.Permanent(fmt.Errorf("plugin answered a webhook with %d %s, more than the %d allowed; none were stored", n, what, grpcplugin.MaxWebhookReplies))
}
