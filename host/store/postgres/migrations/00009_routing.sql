-- Routing (issue 14): the channels a conversation goes to, decided when it
-- starts. route is '' for conversations from before (and those started with
-- no rules configured): their messages keep going to every channel intake
-- names, as before. 'undecided' and 'menu' wait for a message or a tap; a
-- JSON array is a decided route. Intake reads it with the conversation row.
-- Adding a column with a constant default rewrites no rows.

-- +goose Up
ALTER TABLE conversations ADD COLUMN route text NOT NULL DEFAULT '';

-- Menus asked at /start, waiting for a tap until answered (answered_at
-- set by the tap, or by the timeout routing the conversation by default).
CREATE TABLE route_menus (
    id              text        PRIMARY KEY,
    conversation_id text        NOT NULL REFERENCES conversations (id),
    chat_id         bigint      NOT NULL,
    asked_at        timestamptz NOT NULL,
    answered_at     timestamptz
);
CREATE INDEX route_menus_waiting ON route_menus (asked_at) WHERE answered_at IS NULL;

-- +goose Down
DROP TABLE route_menus;
ALTER TABLE conversations DROP COLUMN route;
