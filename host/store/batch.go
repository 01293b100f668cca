package store

import "context"

// The interfaces below are optional batch forms of Store methods. A driver
// implements them when committing many changes in one transaction is
// cheaper than one transaction each (SQLite's single writer); callers test
// for them with a type assertion and fall back to the Store method.

// InboundBatcher commits several updates in one transaction.
type InboundBatcher interface {
	// CommitInbounds has the effect of calling CommitInbound for each
	// update in order, inside one transaction: a later update sees what an
	// earlier one stored (its conversation, its update id as a duplicate).
	// The results are in the order of ins. When any update fails, nothing
	// is stored and the error names that update.
	CommitInbounds(ctx context.Context, ins []Inbound) ([]CommitResult, error)
}

// Completion is one successful delivery to record, as CompleteDelivery's
// arguments.
type Completion struct {
	ID            int64
	ThreadRef     []byte
	DeskMessageID string
}

// DeliveryCompleter records several completed deliveries in one
// transaction.
type DeliveryCompleter interface {
	// CompleteDeliveries has the effect of calling CompleteDelivery for
	// each completion in order, inside one transaction. The per-row errors
	// (ErrLeaseLost, ErrNotFound, ...) are in the order of cs, nil for a
	// row recorded; a row's error does not undo the others. The second
	// result is an error of the transaction itself: then nothing is
	// recorded.
	CompleteDeliveries(ctx context.Context, owner string, cs []Completion) ([]error, error)
}

// RunClaimer claims lanes a run at a time: a lane's head together with the
// pending rows queued behind it, so a worker can hand a plugin a burst of
// one conversation in a single call instead of one round trip per message.
//
// A run is leased as a whole, and its rows are worked on in order by the
// worker holding its head. While that worker holds the head's lease nobody
// can claim the lane; once the head is claimable again (its lease expired
// or released) nobody is working on the lane, so a claim takes the rows
// behind the head whatever their leases say.
type RunClaimer interface {
	// ClaimDeliveryRuns is ClaimDeliveries that also leases, behind each
	// claimed head, up to run-1 of the pending rows that follow it in its
	// lane. opt.Limit still counts lanes. The rows of a lane are adjacent
	// in the result, head first, in id order, and share the head's
	// Conversation and ThreadRef. A run ends before an edit whose original
	// is still pending in the lane: the edit needs the original's desk
	// message id, which only its delivery tells.
	ClaimDeliveryRuns(ctx context.Context, opt ClaimOptions, run int) ([]Delivery, error)
	// ReleaseDeliveries gives back the leases owner holds on rows it did
	// not attempt (the end of a run cut short), changing nothing else: the
	// rows keep their attempts and schedule. Rows owner does not hold are
	// left alone.
	ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error
}
