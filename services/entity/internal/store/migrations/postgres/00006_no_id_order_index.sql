-- +goose Up
-- Nothing reads records in id order within a connection's collection any
-- more (reconciliation finds unseen records through the seen table), and
-- ids are hashes: the index only cost every insert a second random B-tree
-- write beside the primary key's. Reads by connection and collection use
-- records_created.
DROP INDEX records_ids;

-- +goose Down
CREATE INDEX records_ids ON records (connection_id, collection, id);
