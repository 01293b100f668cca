-- Conversation lifecycles (issue 13): a conversation is open, claimed or
-- closed, and a chat may have many conversations over time but at most one
-- that is not closed. The schema of the SQLite driver's 00005.

-- +goose Up
ALTER TABLE conversations DROP CONSTRAINT conversations_chat_id_key;
ALTER TABLE conversations
    ADD COLUMN state           text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'claimed', 'closed')),
    ADD COLUMN claimed_by      text        NOT NULL DEFAULT '',
    ADD COLUMN closed_by       text        NOT NULL DEFAULT '',
    ADD COLUMN close_reason    text        NOT NULL DEFAULT '',
    ADD COLUMN closed_at       timestamptz,          -- NULL while not closed
    ADD COLUMN previous_id     text        NOT NULL DEFAULT '', -- the chat's conversation before this one
    ADD COLUMN previous_number bigint      NOT NULL DEFAULT 0,
    ADD COLUMN first_reply_at  timestamptz;          -- the first agent reply, NULL before it (a metric)
-- At most one conversation of a chat is open or claimed.
CREATE UNIQUE INDEX conversations_live_chat ON conversations (chat_id) WHERE state <> 'closed';
-- A chat's latest conversation.
CREATE INDEX conversations_chat ON conversations (chat_id, number);
-- Idle conversations (auto-close).
CREATE INDEX conversations_live_updated ON conversations (updated_at) WHERE state <> 'closed';

-- Desk actions applied, once per (channel, external id).
CREATE TABLE actions (
    channel         text        NOT NULL,
    external_id     text        NOT NULL,
    conversation_id text        NOT NULL,
    kind            text        NOT NULL,
    state           text        NOT NULL, -- the conversation's state after it
    changed         boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (channel, external_id)
);

-- Ratings asked of customers after a close; score 0 until they tap.
CREATE TABLE ratings (
    id              text        PRIMARY KEY,
    conversation_id text        NOT NULL REFERENCES conversations (id),
    chat_id         bigint      NOT NULL,
    asked_at        timestamptz NOT NULL,
    score           integer     NOT NULL DEFAULT 0,
    rated_at        timestamptz
);
CREATE INDEX ratings_conversation ON ratings (conversation_id);

-- +goose Down
DROP TABLE ratings;
DROP TABLE actions;
DROP INDEX conversations_live_updated;
DROP INDEX conversations_chat;
DROP INDEX conversations_live_chat;
ALTER TABLE conversations DROP COLUMN first_reply_at, DROP COLUMN previous_number, DROP COLUMN previous_id, DROP COLUMN closed_at,
    DROP COLUMN close_reason, DROP COLUMN closed_by, DROP COLUMN claimed_by, DROP COLUMN state;
ALTER TABLE conversations ADD CONSTRAINT conversations_chat_id_key UNIQUE (chat_id);
