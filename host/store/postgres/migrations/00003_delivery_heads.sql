-- Cheaper claims and cheaper rows for the outbox.
--
-- A claim used to find lane heads by walking pending deliveries in id order
-- and asking, for each, whether an older pending row shared its lane: one
-- busy lane's backlog was walked on every claim, and every lease moved the
-- row in deliveries_pending. The claim now walks delivery_heads instead:
-- one row per lane naming its oldest pending delivery, kept by the triggers
-- below in the transaction that changes deliveries.

-- +goose Up

-- The message a delivery's message edits (NULL for most), copied out of the
-- payload at insert: a claim looks the original up by it, where it used to
-- parse every claimed payload's JSON. Done rows are never claimed again, so
-- only the others need it.
ALTER TABLE deliveries ADD COLUMN edit_of text;
UPDATE deliveries d SET edit_of = e.edit_of
FROM (SELECT m.id, replace(replace(m.payload::text, '\\', '\u005c'), '\u0000', '')::json->>'edit_of' AS edit_of
      FROM messages m) e
WHERE e.id = d.message_id AND d.state <> 'done' AND e.edit_of IS NOT NULL;

-- One row per delivery lane that ever had a row: head_id is its oldest
-- pending delivery, NULL while none is pending. Derived from deliveries by
-- the triggers below; should it ever be in doubt (deliveries changed with
-- triggers disabled), this recomputes every lane:
--   SELECT delivery_heads_refresh(array_agg(conversation_id ORDER BY conversation_id, channel),
--                                 array_agg(channel ORDER BY conversation_id, channel))
--   FROM (SELECT DISTINCT conversation_id, channel FROM deliveries) l;
CREATE TABLE delivery_heads (
    conversation_id text   NOT NULL,
    channel         text   NOT NULL,
    head_id         bigint,
    PRIMARY KEY (conversation_id, channel)
);
-- The claim walks heads oldest first.
CREATE INDEX delivery_heads_order ON delivery_heads (head_id) WHERE head_id IS NOT NULL;

INSERT INTO delivery_heads (conversation_id, channel, head_id)
    SELECT conversation_id, channel, MIN(id) FROM deliveries WHERE state = 'pending'
    GROUP BY conversation_id, channel;

-- New rows: a lane gets its first head, or keeps the older one it has. The
-- upsert takes the lane row's lock and decides on the row's latest version,
-- so it is right whatever a concurrent change of the lane committed (new
-- rows of a lane arrive under their conversation's lock, one transaction at
-- a time, and are the newest of their lane). Lanes are locked in key order,
-- as by delivery_heads_refresh, so two writers never wait for each other in
-- a circle.
-- +goose StatementBegin
CREATE FUNCTION delivery_heads_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery_heads AS h (conversation_id, channel, head_id)
        SELECT conversation_id, channel, MIN(id) FROM added WHERE state = 'pending'
        GROUP BY conversation_id, channel ORDER BY conversation_id, channel
    ON CONFLICT (conversation_id, channel) DO UPDATE SET head_id = excluded.head_id
        WHERE h.head_id IS NULL OR excluded.head_id < h.head_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Recomputes the heads of the given lanes (sorted, distinct). It locks them
-- first, in key order, and only then reads deliveries, in a statement of
-- its own: in READ COMMITTED each statement of a function takes a new
-- snapshot, so the read sees every change to these lanes committed before
-- the locks were granted, and changes not yet committed will take the locks
-- after this transaction and correct the heads themselves. (A single
-- UPDATE would read on a snapshot taken before it waited for a lock.)
-- +goose StatementBegin
CREATE FUNCTION delivery_heads_refresh(conversations text[], channels text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO delivery_heads AS h (conversation_id, channel)
        SELECT * FROM unnest(conversations, channels)
    ON CONFLICT (conversation_id, channel) DO UPDATE SET head_id = h.head_id WHERE false;
    UPDATE delivery_heads h SET head_id = n.id
    FROM unnest(conversations, channels) AS u (conversation_id, channel)
    LEFT JOIN LATERAL (
        SELECT p.id FROM deliveries p
        WHERE p.conversation_id = u.conversation_id AND p.channel = u.channel AND p.state = 'pending'
        ORDER BY p.id LIMIT 1) n ON true
    WHERE h.conversation_id = u.conversation_id AND h.channel = u.channel AND h.head_id IS DISTINCT FROM n.id;
END
$$;
-- +goose StatementEnd

-- Changed rows: a lane whose row left or entered pending (done, failed, an
-- operator's retry) or moved to another lane gets its head recomputed.
-- Leases, releases and retries change neither and cost a join of the
-- statement's transition tables.
-- +goose StatementBegin
CREATE FUNCTION delivery_heads_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    convs text[];
    chans text[];
BEGIN
    SELECT array_agg(l.conversation_id ORDER BY l.conversation_id, l.channel), array_agg(l.channel ORDER BY l.conversation_id, l.channel)
    INTO convs, chans
    FROM (SELECT DISTINCT v.conversation_id, v.channel
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          CROSS JOIN LATERAL (VALUES (o.conversation_id, o.channel), (n.conversation_id, n.channel)) AS v (conversation_id, channel)
          WHERE (o.state = 'pending') <> (n.state = 'pending') OR o.conversation_id <> n.conversation_id OR o.channel <> n.channel) l;
    IF convs IS NOT NULL THEN
        PERFORM delivery_heads_refresh(convs, chans);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION delivery_heads_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    convs text[];
    chans text[];
BEGIN
    SELECT array_agg(conversation_id ORDER BY conversation_id, channel), array_agg(channel ORDER BY conversation_id, channel)
    INTO convs, chans
    FROM (SELECT DISTINCT conversation_id, channel FROM old_rows WHERE state = 'pending') l;
    IF convs IS NOT NULL THEN
        PERFORM delivery_heads_refresh(convs, chans);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION delivery_heads_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE delivery_heads SET head_id = NULL WHERE head_id IS NOT NULL;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Statement triggers: one call per statement, however many rows it
-- changed, so a batch of completions recomputes each lane once.
CREATE TRIGGER delivery_heads_added AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION delivery_heads_added();
CREATE TRIGGER delivery_heads_changed AFTER UPDATE ON deliveries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION delivery_heads_changed();
CREATE TRIGGER delivery_heads_removed AFTER DELETE ON deliveries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION delivery_heads_removed();
CREATE TRIGGER delivery_heads_truncated AFTER TRUNCATE ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION delivery_heads_truncated();

-- The claim no longer walks deliveries_pending, and without it no index
-- holds a lease column: leases, releases and retries can be HOT updates (no
-- index entries), given room on the row's page. Every row is updated at
-- least twice soon after it is inserted (leased, then done), so pages of
-- new rows keep half their space for that (measured: about 93% of leases
-- HOT at 50, 58% at 70, a third at 100).
DROP INDEX deliveries_pending;
ALTER TABLE deliveries SET (fillfactor = 50);

-- deliveries_state held every row, so a statement about a lane's pending
-- rows (state = 'pending' AND channel = …) could be planned on it instead
-- of deliveries_pending_lane, and walk a channel's whole backlog: without
-- statistics the planner cannot tell them apart. Pending rows are found
-- through deliveries_pending_lane; deliveries_state now serves listings of
-- finished rows (Queue, Backlog's failed count), and a new row costs it
-- nothing.
DROP INDEX deliveries_state;
CREATE INDEX deliveries_state ON deliveries (state, channel, created_at) WHERE state <> 'pending';

-- +goose Down
DROP INDEX deliveries_state;
CREATE INDEX deliveries_state ON deliveries (state, channel, created_at);
ALTER TABLE deliveries RESET (fillfactor);
CREATE INDEX deliveries_pending ON deliveries (id, next_attempt_at, lease_until) WHERE state = 'pending';
DROP TRIGGER delivery_heads_truncated ON deliveries;
DROP TRIGGER delivery_heads_removed ON deliveries;
DROP TRIGGER delivery_heads_changed ON deliveries;
DROP TRIGGER delivery_heads_added ON deliveries;
DROP FUNCTION delivery_heads_truncated();
DROP FUNCTION delivery_heads_removed();
DROP FUNCTION delivery_heads_changed();
DROP FUNCTION delivery_heads_refresh(text[], text[]);
DROP FUNCTION delivery_heads_added();
DROP TABLE delivery_heads;
ALTER TABLE deliveries DROP COLUMN edit_of;
