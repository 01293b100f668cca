-- Telegram Business connections (issue 15): a Business account's owner
-- connects the bot, which then answers the account's private chats through
-- the connection. Numbered 8 to leave 6 and 7 to the other wave-2 changes.

-- +goose Up
CREATE TABLE business_connections (
    id           TEXT    PRIMARY KEY, -- Telegram's business_connection_id
    user_id      INTEGER NOT NULL,    -- the account's owner
    username     TEXT    NOT NULL DEFAULT '',
    first_name   TEXT    NOT NULL DEFAULT '',
    last_name    TEXT    NOT NULL DEFAULT '',
    user_chat_id INTEGER NOT NULL DEFAULT 0,
    rights       TEXT    NOT NULL DEFAULT '[]', -- JSON array of the granted rights' names
    is_enabled   INTEGER NOT NULL,
    date         INTEGER NOT NULL,    -- when connected
    updated_at   INTEGER NOT NULL
);

-- +goose Down
DROP TABLE business_connections;
