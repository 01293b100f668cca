-- Telegram Business connections (issue 15). The schema of the SQLite
-- driver's 00008.

-- +goose Up
CREATE TABLE business_connections (
    id           text        PRIMARY KEY, -- Telegram's business_connection_id
    user_id      bigint      NOT NULL,    -- the account's owner
    username     text        NOT NULL DEFAULT '',
    first_name   text        NOT NULL DEFAULT '',
    last_name    text        NOT NULL DEFAULT '',
    user_chat_id bigint      NOT NULL DEFAULT 0,
    rights       jsonb       NOT NULL DEFAULT '[]', -- the granted rights' names
    is_enabled   boolean     NOT NULL,
    date         timestamptz NOT NULL,    -- when connected
    updated_at   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE business_connections;
