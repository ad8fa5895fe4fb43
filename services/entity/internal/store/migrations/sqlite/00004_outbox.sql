-- +goose Up
-- The outbox of record events: a record.created, record.updated or
-- record.deleted row per change, inserted in the transaction that made the
-- change, so that an event is never lost nor made up. The relay ships them
-- to the connection service in seq order and deletes what it acknowledged.
-- A row names its record and content; the relay builds the event from them.
-- AUTOINCREMENT: a seq is never used twice, so the relay's delete of the
-- seqs it sent can never take a row inserted since.
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    type          TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    collection    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    update_time   BIGINT NOT NULL,
    hash          BLOB NOT NULL
);

-- +goose Down
DROP TABLE outbox;
