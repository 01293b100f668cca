-- Parley's state. The PostgreSQL driver mirrors this schema table for table;
-- times are Unix microseconds (PostgreSQL's timestamp precision), JSON
-- payloads use the field names of host/store/internal/payload.

-- +goose Up
CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    number           INTEGER NOT NULL UNIQUE,
    chat_id          INTEGER NOT NULL UNIQUE,
    telegram_user_id INTEGER NOT NULL DEFAULT 0,
    first_name       TEXT    NOT NULL DEFAULT '',
    last_name        TEXT    NOT NULL DEFAULT '',
    username         TEXT    NOT NULL DEFAULT '',
    language_code    TEXT    NOT NULL DEFAULT '',
    photo_url        TEXT    NOT NULL DEFAULT '',
    start_payload    TEXT    NOT NULL DEFAULT '',
    blocked          INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- Conversations(limit): most recently active first.
CREATE INDEX conversations_updated ON conversations (updated_at);

-- Telegram update ids already committed: the idempotency key of intake.
CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at INTEGER NOT NULL
);

-- What users sent, and host notices. An edit is a new row.
CREATE TABLE messages (
    id              TEXT    PRIMARY KEY,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    payload         TEXT    NOT NULL, -- JSON of sdk.Message
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

-- The outbox to desks: one row per message and channel. A lane is
-- (conversation_id, channel); order within a lane is by id.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    channel         TEXT    NOT NULL,
    message_id      TEXT    NOT NULL REFERENCES messages (id),
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    desk_message_id TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (message_id, channel)
);
-- The claim walks pending rows oldest first and asks, per row, for the
-- head of its lane. Both indexes hold only pending rows, so done history
-- (the bulk of the table) costs the claim nothing.
CREATE INDEX deliveries_pending ON deliveries (id, next_attempt_at, lease_until) WHERE state = 'pending';
CREATE INDEX deliveries_pending_lane ON deliveries (conversation_id, channel, id) WHERE state = 'pending';
-- Backlog and Queue filter by state.
CREATE INDEX deliveries_state ON deliveries (state, channel, created_at);

-- The thread each channel keeps for a conversation, as its plugin returned
-- it from Deliver; replies find their conversation through it.
CREATE TABLE lanes (
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    channel         TEXT    NOT NULL,
    thread_ref      BLOB    NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, channel)
);
CREATE INDEX lanes_thread ON lanes (channel, thread_ref);

-- Agent replies and host answers bound for Telegram. A lane is a
-- conversation; order within it is by id. channel is '' for host answers.
CREATE TABLE replies (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    channel              TEXT    NOT NULL,
    external_id          TEXT    NOT NULL,
    conversation_id      TEXT    NOT NULL REFERENCES conversations (id),
    payload              TEXT    NOT NULL, -- JSON of sdk.Reply
    state                TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      INTEGER NOT NULL,
    lease_owner          TEXT,
    lease_until          INTEGER,
    last_error           TEXT    NOT NULL DEFAULT '',
    telegram_message_ids TEXT    NOT NULL DEFAULT '[]', -- JSON array
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX replies_pending ON replies (id, next_attempt_at, lease_until) WHERE state = 'pending';
CREATE INDEX replies_pending_lane ON replies (conversation_id, id) WHERE state = 'pending';
CREATE INDEX replies_state ON replies (state, created_at);

-- Small host secrets (the file-link signing key, ...), created once.
CREATE TABLE secrets (
    name       TEXT    PRIMARY KEY,
    value      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE replies;
DROP TABLE lanes;
DROP TABLE deliveries;
DROP TABLE messages;
DROP TABLE processed_updates;
DROP TABLE conversations;
