-- +goose Up
-- The synced records of every connection, in the unified model. Times are
-- UTC microseconds; 0 means unset. Keys compare bytewise (COLLATE "C"), as in
-- SQLite, and faster than in a language's collation.
--
-- The primary key is id alone, and Upsert and Get look rows up by id alone,
-- so that only it can serve them. A lookup that also names connection_id
-- and collection lets the planner pick any index that starts with them, and
-- it does when its statistics have not yet seen the connection (a new
-- connection's first sync): it then reads the whole collection for every
-- batch. (SQLite's table is keyed by (connection_id, collection, id); see
-- its migration.)
CREATE TABLE records (
    id            TEXT COLLATE "C" PRIMARY KEY,
    connection_id TEXT COLLATE "C" NOT NULL,
    collection    TEXT COLLATE "C" NOT NULL,
    remote_id     TEXT COLLATE "C" NOT NULL,
    status        TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    delete_time   BIGINT NOT NULL DEFAULT 0,
    hash          BYTEA NOT NULL,
    data          BYTEA NOT NULL,
    remote_data   BYTEA
);
-- LiveRemoteIDs pages in id order.
CREATE INDEX records_ids ON records (connection_id, collection, id);
-- Tombstone by the system's key.
CREATE UNIQUE INDEX records_remote ON records (connection_id, collection, remote_id);
-- List pages by keyset: each page is a range scan of one of these.
CREATE INDEX records_created ON records (connection_id, collection, create_time, id);
CREATE INDEX records_updated ON records (connection_id, collection, update_time, id);

-- Writes made with a request_id (AIP-155): a claim while the write runs,
-- then its response. response is NULL while the claim is in flight.
CREATE TABLE idempotency (
    connection_id TEXT COLLATE "C" NOT NULL,
    request_id    TEXT COLLATE "C" NOT NULL,
    request_hash  BYTEA NOT NULL,
    response      BYTEA,
    create_time   BIGINT NOT NULL,
    PRIMARY KEY (connection_id, request_id)
);
CREATE INDEX idempotency_created ON idempotency (create_time);

-- +goose Down
DROP TABLE idempotency;
DROP TABLE records;
