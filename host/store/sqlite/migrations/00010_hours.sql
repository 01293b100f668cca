-- Business hours (issue 14): when a conversation was last sent an away
-- message and last answered by an agent, the away message's throttle.
-- Microseconds since the epoch, 0 for never.

-- +goose Up
ALTER TABLE conversations ADD COLUMN away_sent_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN agent_replied_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE conversations DROP COLUMN agent_replied_at;
ALTER TABLE conversations DROP COLUMN away_sent_at;
