-- +goose Up
-- The synced records of every connection, in the unified model. Times are
-- UTC microseconds; 0 means unset.
--
-- Ids are hashes the entity service derives from (connection, collection,
-- remote id), so they are unique though the key is (connection_id,
-- collection, id): each connection's rows then sit together in the key's
-- index, and a sync writes few of its pages. (PostgreSQL's table is keyed by
-- id alone; see its migration.)
CREATE TABLE records (
    connection_id TEXT NOT NULL,
    collection    TEXT NOT NULL,
    id            TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT NOT NULL DEFAULT 0,
    hash          BLOB NOT NULL,
    data          BLOB NOT NULL,
    remote_data   BLOB,
    PRIMARY KEY (connection_id, collection, id)
);
-- Tombstone by the system's key.
CREATE UNIQUE INDEX records_remote ON records (connection_id, collection, remote_id);
-- List pages by keyset: each page is a range scan of one of these.
CREATE INDEX records_created ON records (connection_id, collection, create_time, id);
CREATE INDEX records_updated ON records (connection_id, collection, update_time, id);

-- Writes made with a request_id (AIP-155): a claim while the write runs,
-- then its response. response is NULL while the claim is in flight.
CREATE TABLE idempotency (
    connection_id TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    response      BLOB,
    create_time   BIGINT NOT NULL,
    PRIMARY KEY (connection_id, request_id)
);
CREATE INDEX idempotency_created ON idempotency (create_time);

-- +goose Down
DROP TABLE idempotency;
DROP TABLE records;
