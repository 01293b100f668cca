-- Several bots (issue 14): a chat's conversations are keyed by the bot they
-- came through and the Telegram Business connection (if any) as well as the
-- chat id, since chat ids are per bot and per connection; update ids (the
-- offset) are per bot. Existing rows belong to the bot named "default", the
-- one-bot form of the config.

-- +goose Up
ALTER TABLE conversations ADD COLUMN bot TEXT NOT NULL DEFAULT 'default';
ALTER TABLE conversations ADD COLUMN business_connection_id TEXT NOT NULL DEFAULT '';
DROP INDEX conversations_live_chat;
DROP INDEX conversations_chat;
-- At most one conversation of a chat is open or claimed.
CREATE UNIQUE INDEX conversations_live_chat ON conversations (chat_id, bot, business_connection_id) WHERE state <> 'closed';
-- A chat's latest conversation.
CREATE INDEX conversations_chat ON conversations (chat_id, bot, business_connection_id, number);

-- Update ids are per bot. A table without rowid keeps the key the one
-- b-tree, as update_id INTEGER PRIMARY KEY was.
CREATE TABLE processed_updates_bots (
    bot          TEXT    NOT NULL,
    update_id    INTEGER NOT NULL,
    processed_at INTEGER NOT NULL,
    PRIMARY KEY (bot, update_id)
) WITHOUT ROWID;
INSERT INTO processed_updates_bots (bot, update_id, processed_at)
    SELECT 'default', update_id, processed_at FROM processed_updates;
DROP TABLE processed_updates;
ALTER TABLE processed_updates_bots RENAME TO processed_updates;

-- +goose Down
CREATE TABLE processed_updates_one (
    update_id    INTEGER PRIMARY KEY,
    processed_at INTEGER NOT NULL
);
INSERT INTO processed_updates_one (update_id, processed_at)
    SELECT update_id, processed_at FROM processed_updates WHERE bot = 'default';
DROP TABLE processed_updates;
ALTER TABLE processed_updates_one RENAME TO processed_updates;
DROP INDEX conversations_chat;
DROP INDEX conversations_live_chat;
CREATE UNIQUE INDEX conversations_live_chat ON conversations (chat_id) WHERE state <> 'closed';
CREATE INDEX conversations_chat ON conversations (chat_id, number);
ALTER TABLE conversations DROP COLUMN business_connection_id;
ALTER TABLE conversations DROP COLUMN bot;
