-- Several bots (issue 14): a chat's conversations are keyed by the bot they
-- came through and the Telegram Business connection (if any) as well as the
-- chat id, since chat ids are per bot and per connection; update ids (the
-- offset) are per bot. Existing rows belong to the bot named "default", the
-- one-bot form of the config. The schema of the SQLite driver's 00006.

-- +goose Up
ALTER TABLE conversations
    ADD COLUMN bot                    text NOT NULL DEFAULT 'default',
    ADD COLUMN business_connection_id text NOT NULL DEFAULT '';
DROP INDEX conversations_live_chat;
DROP INDEX conversations_chat;
-- At most one conversation of a chat is open or claimed.
CREATE UNIQUE INDEX conversations_live_chat ON conversations (chat_id, bot, business_connection_id) WHERE state <> 'closed';
-- A chat's latest conversation.
CREATE INDEX conversations_chat ON conversations (chat_id, bot, business_connection_id, number);

-- Update ids are per bot.
ALTER TABLE processed_updates ADD COLUMN bot text NOT NULL DEFAULT 'default';
ALTER TABLE processed_updates DROP CONSTRAINT processed_updates_pkey;
ALTER TABLE processed_updates ADD PRIMARY KEY (bot, update_id);

-- +goose Down
DELETE FROM processed_updates WHERE bot <> 'default';
ALTER TABLE processed_updates DROP CONSTRAINT processed_updates_pkey;
ALTER TABLE processed_updates DROP COLUMN bot;
ALTER TABLE processed_updates ADD PRIMARY KEY (update_id);
DROP INDEX conversations_chat;
DROP INDEX conversations_live_chat;
CREATE UNIQUE INDEX conversations_live_chat ON conversations (chat_id) WHERE state <> 'closed';
CREATE INDEX conversations_chat ON conversations (chat_id, number);
ALTER TABLE conversations DROP COLUMN business_connection_id, DROP COLUMN bot;
