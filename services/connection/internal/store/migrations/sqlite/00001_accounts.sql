-- +goose Up
CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    credit_limit INTEGER NOT NULL,
    create_time  BIGINT NOT NULL
);

-- An account's API keys, stored only as SHA-256 hashes.
CREATE TABLE api_keys (
    hash        TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    create_time BIGINT NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE accounts;
