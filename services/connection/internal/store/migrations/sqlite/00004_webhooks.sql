-- +goose Up
-- An account's webhook endpoints. The signing secret is kept sealed
-- (AES-256-GCM under a key derived for it, bound to the endpoint id): the
-- worker needs it in clear to sign, so it cannot be a hash.
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    url         TEXT NOT NULL,
    event_types TEXT NOT NULL, -- JSON array, as given; empty means all
    enabled     BOOLEAN NOT NULL,
    secret      BLOB NOT NULL,
    request_id  TEXT NOT NULL DEFAULT '',
    create_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, id);
CREATE UNIQUE INDEX webhook_endpoints_request ON webhook_endpoints (account_id, request_id) WHERE request_id <> '';

-- The event types an endpoint wants, one row each, for the outbox's
-- INSERT ... SELECT; an endpoint without rows wants every type.
CREATE TABLE webhook_endpoint_event_types (
    endpoint_id TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, event_type)
);

-- The outbox: one row per event and endpoint, written in the event's own
-- transaction. The event is copied, so a delivery never depends on the log.
-- Deliveries of one endpoint and connection go out in event_seq order.
CREATE TABLE webhook_deliveries (
    endpoint_id        TEXT NOT NULL,
    event_seq          BIGINT NOT NULL,
    id                 TEXT NOT NULL,
    account_id         TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    connection_id      TEXT NOT NULL,
    event_time         BIGINT NOT NULL,
    event_data         TEXT NOT NULL,
    state              TEXT NOT NULL, -- PENDING, SUCCEEDED, FAILED
    attempt_count      INTEGER NOT NULL DEFAULT 0,
    first_attempt_time BIGINT NOT NULL DEFAULT 0,
    next_attempt_time  BIGINT NOT NULL,
    lease_owner        TEXT NOT NULL DEFAULT '',
    lease_until        BIGINT NOT NULL DEFAULT 0,
    create_time        BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, event_seq)
);
CREATE UNIQUE INDEX webhook_deliveries_id ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_time) WHERE state = 'PENDING';
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, connection_id, event_seq) WHERE state = 'PENDING';

-- Every attempt of a delivery. Never holds the secret.
CREATE TABLE webhook_attempts (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL,
    event_seq   BIGINT NOT NULL,
    time        BIGINT NOT NULL,
    status_code INTEGER NOT NULL,
    latency_us  BIGINT NOT NULL,
    error       TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (endpoint_id, event_seq, seq);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoint_event_types;
DROP TABLE webhook_endpoints;
