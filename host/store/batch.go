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
