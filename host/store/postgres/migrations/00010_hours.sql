-- Business hours (issue 14): when a conversation was last sent an away
-- message and last answered by an agent, the away message's throttle.
-- The schema of the SQLite driver's 00006; NULL for never. Adding nullable
-- columns without a default rewrites nothing.

-- +goose Up
ALTER TABLE conversations
    ADD COLUMN away_sent_at     timestamptz,
    ADD COLUMN agent_replied_at timestamptz;

-- +goose Down
ALTER TABLE conversations DROP COLUMN agent_replied_at, DROP COLUMN away_sent_at;
