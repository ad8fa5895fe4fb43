-- +goose Up
-- The outbox of record events: a record.created, record.updated or
-- record.deleted row per change, inserted in the transaction that made the
-- change, so that an event is never lost nor made up. The relay ships them
-- to the connection service in seq order and deletes what it acknowledged.
-- A row names its record and content; the relay builds the event from them.
CREATE TABLE outbox (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type          TEXT NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL,
    collection    TEXT COLLATE "C" NOT NULL,
    record_id     TEXT COLLATE "C" NOT NULL,
    remote_id     TEXT COLLATE "C" NOT NULL,
    update_time   BIGINT NOT NULL,
    hash          BYTEA NOT NULL
);

-- +goose Down
DROP TABLE outbox;
