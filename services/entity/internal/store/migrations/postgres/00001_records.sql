-- +goose Up
-- The synced records of every connection, in the unified model.
CREATE TABLE records (
    id                 TEXT PRIMARY KEY,
    connection_id      TEXT NOT NULL,
    collection         TEXT NOT NULL,
    remote_id          TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT '',
    create_time        BIGINT NOT NULL,
    update_time        BIGINT NOT NULL,
    delete_time        BIGINT NOT NULL DEFAULT 0,
    hash               BYTEA NOT NULL,
    data               BYTEA NOT NULL,
    remote_data        BYTEA
);
CREATE UNIQUE INDEX records_remote ON records (connection_id, collection, remote_id);
CREATE INDEX records_list ON records (connection_id, collection, id);
CREATE INDEX records_updated ON records (connection_id, collection, update_time, id);

-- +goose Down
DROP TABLE records;
