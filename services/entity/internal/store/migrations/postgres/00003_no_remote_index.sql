-- +goose Up
-- A record's id is derived from (connection, collection, remote id), so the
-- id already names a remote id: Tombstone looks rows up by id, and the index
-- on remote ids only cost every insert a second random B-tree write.
DROP INDEX records_remote;

-- +goose Down
CREATE UNIQUE INDEX records_remote ON records (connection_id, collection, remote_id);
