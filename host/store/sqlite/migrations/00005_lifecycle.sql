-- Conversation lifecycles (issue 13): a conversation is open, claimed or
-- closed, and a chat may have many conversations over time but at most one
-- that is not closed. chat_id loses its UNIQUE constraint, which SQLite can
-- only do by rebuilding the table; foreign keys of the other tables are
-- checked at commit (defer_foreign_keys), when every row is back.

-- +goose Up
PRAGMA defer_foreign_keys = ON;
CREATE TABLE conversations_copy AS SELECT * FROM conversations;
DROP TABLE conversations;
CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    number           INTEGER NOT NULL UNIQUE,
    chat_id          INTEGER NOT NULL,
    telegram_user_id INTEGER NOT NULL DEFAULT 0,
    first_name       TEXT    NOT NULL DEFAULT '',
    last_name        TEXT    NOT NULL DEFAULT '',
    username         TEXT    NOT NULL DEFAULT '',
    language_code    TEXT    NOT NULL DEFAULT '',
    photo_url        TEXT    NOT NULL DEFAULT '',
    start_payload    TEXT    NOT NULL DEFAULT '',
    blocked          INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'claimed', 'closed')),
    claimed_by       TEXT    NOT NULL DEFAULT '',
    closed_by        TEXT    NOT NULL DEFAULT '',
    close_reason     TEXT    NOT NULL DEFAULT '',
    closed_at        INTEGER NOT NULL DEFAULT 0,  -- 0 while not closed
    previous_id      TEXT    NOT NULL DEFAULT '', -- the chat's conversation before this one
    previous_number  INTEGER NOT NULL DEFAULT 0,
    first_reply_at   INTEGER NOT NULL DEFAULT 0   -- the first agent reply, 0 before it (a metric)
);
INSERT INTO conversations (id, number, chat_id, telegram_user_id, first_name, last_name, username,
        language_code, photo_url, start_payload, blocked, started_at, updated_at)
    SELECT id, number, chat_id, telegram_user_id, first_name, last_name, username,
        language_code, photo_url, start_payload, blocked, started_at, updated_at FROM conversations_copy;
DROP TABLE conversations_copy;
-- The idle closer reads conversations_updated and filters on state: a second,
-- partial index on updated_at would cost every message an extra index write.
CREATE INDEX conversations_updated ON conversations (updated_at);
-- At most one conversation of a chat is open or claimed.
CREATE UNIQUE INDEX conversations_live_chat ON conversations (chat_id) WHERE state <> 'closed';
-- A chat's latest conversation.
CREATE INDEX conversations_chat ON conversations (chat_id, number);

-- Desk actions applied, once per (channel, external id).
CREATE TABLE actions (
    channel         TEXT    NOT NULL,
    external_id     TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    state           TEXT    NOT NULL, -- the conversation's state after it
    changed         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id)
);

-- Ratings asked of customers after a close; score 0 until they tap.
CREATE TABLE ratings (
    id              TEXT    PRIMARY KEY,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    chat_id         INTEGER NOT NULL,
    asked_at        INTEGER NOT NULL,
    score           INTEGER NOT NULL DEFAULT 0,
    rated_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ratings_conversation ON ratings (conversation_id);

-- +goose Down
DROP TABLE ratings;
DROP TABLE actions;
DROP INDEX conversations_chat;
DROP INDEX conversations_live_chat;
