-- +goose Up
-- The records a reconciling pull saw, per run, so that the run may resume on
-- another replica; ReconcileDeletions tombstones the live records of a
-- collection its run did not see, then forgets the run.
CREATE TABLE seen (
    connection_id TEXT NOT NULL,
    collection    TEXT NOT NULL,
    run           TEXT NOT NULL,
    id            TEXT NOT NULL,
    PRIMARY KEY (connection_id, collection, run, id)
);

-- +goose Down
DROP TABLE seen;
