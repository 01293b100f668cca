-- Routing (issue 14): the channels a conversation goes to, decided when it
-- starts. route is '' for conversations from before (and those started with
-- no rules configured): their messages keep going to every channel intake
-- names, as before. 'undecided' and 'menu' wait for a message or a tap; a
-- JSON array is a decided route. Intake reads it with the conversation row.

-- +goose Up
ALTER TABLE conversations ADD COLUMN route TEXT NOT NULL DEFAULT '';

-- Menus asked at /start, waiting for a tap until answered (answered_at
-- set by the tap, or by the timeout routing the conversation by default).
CREATE TABLE route_menus (
    id              TEXT    PRIMARY KEY,
    conversation_id TEXT    NOT NULL REFERENCES conversations (id),
    chat_id         INTEGER NOT NULL,
    asked_at        INTEGER NOT NULL,
    answered_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX route_menus_waiting ON route_menus (asked_at) WHERE answered_at = 0;

-- +goose Down
DROP TABLE route_menus;
ALTER TABLE conversations DROP COLUMN route;
