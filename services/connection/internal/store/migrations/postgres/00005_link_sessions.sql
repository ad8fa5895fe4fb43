-- +goose Up
-- Link sessions: the hosted page where an end customer connects a system.
-- The page's secret and the one-time code are kept only as hashes.
CREATE TABLE link_sessions (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    end_user_name    TEXT NOT NULL DEFAULT '',
    end_user_email   TEXT NOT NULL DEFAULT '',
    allowed_systems  TEXT NOT NULL,
    redirect_url     TEXT NOT NULL,
    secret_hash      TEXT NOT NULL UNIQUE,
    expire_time      BIGINT NOT NULL,
    create_time      BIGINT NOT NULL,
    connection_id    TEXT NOT NULL DEFAULT '',
    code_hash        TEXT NOT NULL DEFAULT '',
    code_expire_time BIGINT NOT NULL DEFAULT 0,
    exchange_time    BIGINT NOT NULL DEFAULT 0,
    request_id       TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX link_sessions_request ON link_sessions (account_id, request_id) WHERE request_id <> '';

-- +goose Down
DROP TABLE link_sessions;
