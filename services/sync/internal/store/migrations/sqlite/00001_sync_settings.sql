-- +goose Up
-- How each connection is synced.
CREATE TABLE sync_settings (
    connection_id       TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    interval_seconds    INTEGER NOT NULL,
    collections         TEXT NOT NULL DEFAULT '',
    history_seconds     INTEGER NOT NULL DEFAULT 0,
    update_time         BIGINT NOT NULL
);

-- +goose Down
DROP TABLE sync_settings;
