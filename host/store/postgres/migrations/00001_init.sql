-- Parley's state, table for table the schema of the SQLite driver
-- (host/store/sqlite/migrations), in PostgreSQL types:
--   * times are timestamptz: the same microsecond precision as SQLite's
--     integer microseconds, but readable and comparable with now() for an
--     operator in psql;
--   * message and reply payloads are json, not jsonb: json keeps the text
--     the payload package wrote byte for byte (jsonb reorders keys and
--     refuses the \u0000 escape, which a user's text may hold);
--   * thread references and secrets are bytea (opaque bytes).

-- +goose Up
CREATE TABLE conversations (
    id               text        PRIMARY KEY,
    number           bigint      NOT NULL UNIQUE,
    chat_id          bigint      NOT NULL UNIQUE,
    telegram_user_id bigint      NOT NULL DEFAULT 0,
    first_name       text        NOT NULL DEFAULT '',
    last_name        text        NOT NULL DEFAULT '',
    username         text        NOT NULL DEFAULT '',
    language_code    text        NOT NULL DEFAULT '',
    photo_url        text        NOT NULL DEFAULT '',
    start_payload    text        NOT NULL DEFAULT '',
    blocked          boolean     NOT NULL DEFAULT false,
    started_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
-- Conversations(limit): most recently active first.
CREATE INDEX conversations_updated ON conversations (updated_at);

-- Telegram update ids already committed: the idempotency key of intake.
CREATE TABLE processed_updates (
    update_id    bigint      PRIMARY KEY,
    processed_at timestamptz NOT NULL
);

-- What users sent, and host notices. An edit is a new row.
CREATE TABLE messages (
    id              text        PRIMARY KEY,
    conversation_id text        NOT NULL REFERENCES conversations (id),
    payload         json        NOT NULL, -- sdk.Message as host/store/internal/payload writes it
    created_at      timestamptz NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

-- The outbox to desks: one row per message and channel. A lane is
-- (conversation_id, channel); order within a lane is by id. Rows of one
-- conversation are inserted under that conversation's row lock, so ids of
-- a lane commit in increasing order even with several replicas writing.
CREATE TABLE deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id text        NOT NULL REFERENCES conversations (id),
    channel         text        NOT NULL,
    message_id      text        NOT NULL REFERENCES messages (id),
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text,
    lease_until     timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    desk_message_id text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (message_id, channel)
);
-- The claim walks pending rows oldest first and asks, per row, whether a
-- smaller pending id exists in its lane. Both indexes hold only pending
-- rows, so done history (the bulk of the table) costs the claim nothing.
CREATE INDEX deliveries_pending ON deliveries (id, next_attempt_at, lease_until) WHERE state = 'pending';
CREATE INDEX deliveries_pending_lane ON deliveries (conversation_id, channel, id) WHERE state = 'pending';
-- Backlog and Queue filter by state.
CREATE INDEX deliveries_state ON deliveries (state, channel, created_at);

-- The thread each channel keeps for a conversation, as its plugin returned
-- it from Deliver; replies find their conversation through it.
CREATE TABLE lanes (
    conversation_id text        NOT NULL REFERENCES conversations (id),
    channel         text        NOT NULL,
    thread_ref      bytea       NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, channel)
);
CREATE INDEX lanes_thread ON lanes (channel, thread_ref);

-- Agent replies and host answers bound for Telegram. A lane is a
-- conversation; order within it is by id. channel is '' for host answers.
CREATE TABLE replies (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel              text        NOT NULL,
    external_id          text        NOT NULL,
    conversation_id      text        NOT NULL REFERENCES conversations (id),
    payload              json        NOT NULL, -- sdk.Reply as host/store/internal/payload writes it
    state                text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts             integer     NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL,
    lease_owner          text,
    lease_until          timestamptz,
    last_error           text        NOT NULL DEFAULT '',
    telegram_message_ids json        NOT NULL DEFAULT '[]',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX replies_pending ON replies (id, next_attempt_at, lease_until) WHERE state = 'pending';
CREATE INDEX replies_pending_lane ON replies (conversation_id, id) WHERE state = 'pending';
CREATE INDEX replies_state ON replies (state, created_at);

-- Small host secrets (the file-link signing key, ...), created once and
-- shared by every replica.
CREATE TABLE secrets (
    name       text        PRIMARY KEY,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE replies;
DROP TABLE lanes;
DROP TABLE deliveries;
DROP TABLE messages;
DROP TABLE processed_updates;
DROP TABLE conversations;
