-- Retention ([retention] messages) deletes the oldest finished messages
-- first; without this index every purge would scan the whole table.

-- +goose Up
CREATE INDEX messages_created ON messages (created_at);

-- +goose Down
DROP INDEX messages_created;
