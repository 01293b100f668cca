-- +goose Up
-- Leadership leases (one replica polls Telegram) and replica heartbeats.
CREATE TABLE leaderships (
    name     TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    until_us INTEGER NOT NULL
);

CREATE TABLE replicas (
    owner         TEXT PRIMARY KEY,
    hostname      TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    version       TEXT NOT NULL,
    leads         TEXT NOT NULL, -- JSON array of lease names
    started_at_us INTEGER NOT NULL,
    seen_at_us    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE replicas;
DROP TABLE leaderships;
