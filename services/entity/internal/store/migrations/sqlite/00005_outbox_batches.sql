-- +goose Up
-- The outbox holds a row per batch of record events instead of a row per
-- event: a transaction's consecutive events of one type, connection,
-- collection and time share a row, their records in a JSON array of
-- [record id, remote id, hash in hex], so that a synced page of a thousand
-- records inserts one row, and the relay reads and deletes one, instead of
-- a thousand. n is the number of events in the row. Events waiting at the
-- upgrade move over in order, each in a row of its own.
CREATE TABLE outbox_batches (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    type          TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    collection    TEXT NOT NULL,
    update_time   BIGINT NOT NULL,
    n             INTEGER NOT NULL,
    records       TEXT NOT NULL
);
INSERT INTO outbox_batches (type, connection_id, collection, update_time, n, records)
    SELECT type, connection_id, collection, update_time, 1, json_array(json_array(record_id, remote_id, lower(hex(hash))))
    FROM outbox ORDER BY seq;
DROP TABLE outbox;
ALTER TABLE outbox_batches RENAME TO outbox;

-- +goose Down
CREATE TABLE outbox_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    type          TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    collection    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    update_time   BIGINT NOT NULL,
    hash          BLOB NOT NULL
);
INSERT INTO outbox_events (type, connection_id, collection, record_id, remote_id, update_time, hash)
    SELECT o.type, o.connection_id, o.collection, r.value ->> 0, r.value ->> 1, o.update_time, unhex(r.value ->> 2)
    FROM outbox o, json_each(o.records) r ORDER BY o.seq, r.key;
DROP TABLE outbox;
ALTER TABLE outbox_events RENAME TO outbox;
