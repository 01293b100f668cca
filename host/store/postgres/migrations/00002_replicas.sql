-- +goose Up
-- Leadership leases (one replica polls Telegram) and replica heartbeats.
CREATE TABLE leaderships (
    name  text        PRIMARY KEY,
    owner text        NOT NULL,
    until timestamptz NOT NULL
);

CREATE TABLE replicas (
    owner      text        PRIMARY KEY,
    hostname   text        NOT NULL,
    pid        integer     NOT NULL,
    version    text        NOT NULL,
    leads      json        NOT NULL, -- array of lease names
    started_at timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE replicas;
DROP TABLE leaderships;
