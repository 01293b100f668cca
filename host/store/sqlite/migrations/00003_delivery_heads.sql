-- +goose Up
-- The head (oldest pending row) of every delivery lane, kept by triggers in
-- the same transaction as the change to deliveries. The claim walks heads
-- only: with a lane holding thousands of pending rows it used to visit
-- them all on every claim. SQLite only; PostgreSQL claims with SKIP LOCKED.
CREATE TABLE delivery_heads (
    delivery_id     INTEGER PRIMARY KEY, -- the head row: walked in id order
    conversation_id TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    UNIQUE (conversation_id, channel)
);

-- The claim no longer walks deliveries_pending; keeping it up to date on
-- every lease and retry would be wasted writes.
DROP INDEX deliveries_pending;

INSERT INTO delivery_heads (delivery_id, conversation_id, channel)
    SELECT MIN(id), conversation_id, channel FROM deliveries
    WHERE state = 'pending' GROUP BY conversation_id, channel;

-- A new row heads its lane when the lane has none (ids only grow, so an
-- existing head is older).
-- +goose StatementBegin
CREATE TRIGGER delivery_heads_insert AFTER INSERT ON deliveries WHEN NEW.state = 'pending'
BEGIN
    INSERT OR IGNORE INTO delivery_heads (delivery_id, conversation_id, channel)
        VALUES (NEW.id, NEW.conversation_id, NEW.channel);
END;
-- +goose StatementEnd

-- A row done or failed hands the lane to its next pending row, if any.
-- +goose StatementBegin
CREATE TRIGGER delivery_heads_leave AFTER UPDATE OF state ON deliveries
WHEN OLD.state = 'pending' AND NEW.state <> 'pending'
BEGIN
    DELETE FROM delivery_heads WHERE delivery_id = OLD.id;
    INSERT OR IGNORE INTO delivery_heads (delivery_id, conversation_id, channel)
        SELECT id, conversation_id, channel FROM deliveries INDEXED BY deliveries_pending_lane
        WHERE conversation_id = OLD.conversation_id AND channel = OLD.channel AND state = 'pending'
        ORDER BY id LIMIT 1;
END;
-- +goose StatementEnd

-- A row pending again (an operator's retry of a failed row) heads its
-- lane when it is older than the current head.
-- +goose StatementBegin
CREATE TRIGGER delivery_heads_enter AFTER UPDATE OF state ON deliveries
WHEN OLD.state <> 'pending' AND NEW.state = 'pending'
BEGIN
    DELETE FROM delivery_heads
        WHERE conversation_id = NEW.conversation_id AND channel = NEW.channel AND delivery_id > NEW.id;
    INSERT OR IGNORE INTO delivery_heads (delivery_id, conversation_id, channel)
        VALUES (NEW.id, NEW.conversation_id, NEW.channel);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER delivery_heads_delete AFTER DELETE ON deliveries WHEN OLD.state = 'pending'
BEGIN
    DELETE FROM delivery_heads WHERE delivery_id = OLD.id;
    INSERT OR IGNORE INTO delivery_heads (delivery_id, conversation_id, channel)
        SELECT id, conversation_id, channel FROM deliveries INDEXED BY deliveries_pending_lane
        WHERE conversation_id = OLD.conversation_id AND channel = OLD.channel AND state = 'pending'
        ORDER BY id LIMIT 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER delivery_heads_delete;
DROP TRIGGER delivery_heads_enter;
DROP TRIGGER delivery_heads_leave;
DROP TRIGGER delivery_heads_insert;
DROP TABLE delivery_heads;
CREATE INDEX deliveries_pending ON deliveries (id, next_attempt_at, lease_until) WHERE state = 'pending';
