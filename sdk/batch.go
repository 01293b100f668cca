package sdk

import (
	"context"
	"time"
)

// DeliverBatchRequest is a run of one conversation's messages for one
// channel, oldest first: what the host sends when a conversation has a
// backlog, so the run costs one round trip to the plugin instead of one per
// message. Plugin authors never see it: the SDK delivers a batch through
// the channel's Deliver, item by item.
type DeliverBatchRequest struct {
	Conversation Conversation
	Contact      Contact
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
	Message Message
	// EditOfDeskMessageID is as in DeliverRequest.
	EditOfDeskMessageID string
}

// DeliverBatchResponse says how far a batch got.
type DeliverBatchResponse struct {
	// Delivered holds the results of the first len(Delivered) items.
	Delivered []DeliverResponse
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
func DeliverBatch(ctx context.Context, ch Channel, req DeliverBatchRequest) DeliverBatchResponse {
	if b, ok := ch.(BatchDeliverer); ok && len(req.Items) > 1 {
		return b.DeliverBatch(ctx, req)
	}
	return deliverEach(ctx, ch.Deliver, req)
}

// previous hands the previous conversation's thread to the first item only.
func previous(i int, ref []byte) []byte {
	if i == 0 {
		return ref
	}
	return nil
}

// deliverEach is the one loop behind a batch, on either side of the
// plugin boundary.
func deliverEach(ctx context.Context, deliver func(context.Context, DeliverRequest) (DeliverResponse, error), req DeliverBatchRequest) DeliverBatchResponse {
	start := time.Now()
	ref := req.ThreadRef
	out := DeliverBatchResponse{Delivered: make([]DeliverResponse, 0, len(req.Items))}
	for i, it := range req.Items {
		if i > 0 && (ctx.Err() != nil || req.Budget > 0 && time.Since(start) >= req.Budget) {
			break
		}
		resp, err := deliver(ctx, DeliverRequest{
			Conversation: req.Conversation, Contact: req.Contact, Message: it.Message,
			ThreadRef: ref, EditOfDeskMessageID: it.EditOfDeskMessageID,
			PreviousThreadRef: previous(i, req.PreviousThreadRef),
		})
		if err != nil {
			out.Err = err
			break
		}
		if len(resp.ThreadRef) > 0 {
			ref = resp.ThreadRef
		}
		out.Delivered = append(out.Delivered, resp)
	}
	return out
}
