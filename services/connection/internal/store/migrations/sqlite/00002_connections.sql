-- +goose Up
CREATE TABLE connections (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    system              TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    settings            TEXT NOT NULL,
    credentials         BLOB NOT NULL,
    metadata            TEXT NOT NULL,
    status              TEXT NOT NULL,
    status_reason       TEXT NOT NULL DEFAULT '',
    credits             INTEGER NOT NULL,
    previous_connection TEXT NOT NULL DEFAULT '',
    token_hash          TEXT,
    request_id          TEXT NOT NULL DEFAULT '',
    create_time         BIGINT NOT NULL,
    update_time         BIGINT NOT NULL,
    status_time         BIGINT NOT NULL,
    disconnect_time     BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX connections_token ON connections (token_hash);
CREATE UNIQUE INDEX connections_request ON connections (account_id, request_id) WHERE request_id <> '';
CREATE INDEX connections_account ON connections (account_id, id);

-- The account's durable, ordered event log.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    account_id    TEXT NOT NULL,
    connection_id TEXT NOT NULL DEFAULT '',
    type          TEXT NOT NULL,
    data          TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL DEFAULT '',
    create_time   BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_dedupe ON events (dedupe_key) WHERE dedupe_key <> '';
CREATE INDEX events_account ON events (account_id, seq);

-- +goose Down
DROP TABLE events;
DROP TABLE connections;
