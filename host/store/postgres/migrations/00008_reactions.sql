-- Reactions, deletes and profile photos (issue 15); as the SQLite driver's.

-- +goose Up
-- The customer's profile photo: '' not looked up yet, '-' none to show,
-- else its Telegram file_id. Written once per conversation, never by intake.
ALTER TABLE conversations ADD COLUMN photo_ref text NOT NULL DEFAULT '';

-- The Telegram messages each agent reply became, so a customer's reaction
-- on one finds the reply (and its desk id). Written when a reply is sent;
-- erased with the reply.
CREATE TABLE reply_messages (
    conversation_id     text   NOT NULL,
    telegram_message_id bigint NOT NULL,
    reply_id            bigint NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, telegram_message_id)
);
CREATE INDEX reply_messages_reply ON reply_messages (reply_id);
-- Replies sent before this migration can be reacted to as well.
INSERT INTO reply_messages (conversation_id, telegram_message_id, reply_id)
    SELECT r.conversation_id, j.value::bigint, r.id FROM replies r, json_array_elements_text(r.telegram_message_ids) j
    WHERE r.channel <> '' AND r.state = 'done' AND j.value::bigint <> 0
    ON CONFLICT (conversation_id, telegram_message_id) DO NOTHING;

-- +goose Down
DROP TABLE reply_messages;
ALTER TABLE conversations DROP COLUMN photo_ref;
