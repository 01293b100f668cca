package app

import (
	"context"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/admin"
	"github.com/parley-dev/parley/host/telegram/intake"
)

// IntakeStatus records what Telegram intake has done, for the admin status
// page. It is safe for concurrent use.
type IntakeStatus struct {
	mu sync.Mutex
	s  admin.IntakeState
}

// NewIntakeStatus starts the record of an intake in mode ("polling" or
// "webhook") at since.
func NewIntakeStatus(mode string, since time.Time) *IntakeStatus {
	return &IntakeStatus{s: admin.IntakeState{Mode: mode, Since: since}}
}

// Observe wraps an intake handler so each batch it commits, or fails to,
// is recorded.
func (s *IntakeStatus) Observe(next func(context.Context, []intake.Update) error) func(context.Context, []intake.Update) error {
	return func(ctx context.Context, batch []intake.Update) error {
		err := next(ctx, batch)
		now := time.Now()
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.s.LastError, s.s.LastErrorAt = err.Error(), now
			return err
		}
		s.s.LastBatch = now
		s.s.Updates += int64(len(batch))
		for _, u := range batch {
			s.s.Offset = max(s.s.Offset, u.ID+1)
		}
		return nil
	}
}

// SetBot records the bot's name, its username (kept when "") and state.
func (s *IntakeStatus) SetBot(name, username, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.Bot, s.s.State = name, state
	if username != "" {
		s.s.Username = username
	}
}

// Fail records a failure of the bot itself (a rejected token, Telegram
// unreachable), not of one batch.
func (s *IntakeStatus) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.State = stateFailed
	s.s.LastError, s.s.LastErrorAt = err.Error(), time.Now()
}

// State returns a snapshot.
func (s *IntakeStatus) State() admin.IntakeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s
}
