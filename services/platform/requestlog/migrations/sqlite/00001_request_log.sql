-- +goose Up
-- How each API request ended (no body, no credential), kept 7 days.
CREATE TABLE request_log (
    request_id    TEXT    NOT NULL,
    account_id    TEXT    NOT NULL,
    time          INTEGER NOT NULL, -- UTC microseconds
    duration_us   INTEGER NOT NULL,
    service       TEXT    NOT NULL,
    grpc_method   TEXT    NOT NULL,
    http_method   TEXT    NOT NULL,
    http_path     TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    status_code   INTEGER NOT NULL,
    code          TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    message       TEXT    NOT NULL
);
CREATE INDEX request_log_by_request ON request_log (request_id, account_id);
CREATE INDEX request_log_by_time ON request_log (time);

-- +goose Down
DROP TABLE request_log;
