-- +goose Up
-- Times are microseconds since the epoch (UTC), durations microseconds; 0 is
-- "never" or "none". Booleans are 0/1 integers, the same SQL on both engines.

-- How each connection is synced: the API's SyncSettings.
CREATE TABLE sync_settings (
    connection_id       TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    interval_us         BIGINT NOT NULL,
    -- Comma-separated; empty means every collection the system can list.
    collections         TEXT NOT NULL DEFAULT '',
    -- How far back a first sync reaches; 0 means everything.
    history_us          BIGINT NOT NULL DEFAULT 0,
    update_time         BIGINT NOT NULL
);

-- When each connection is due next, and its backoff after failures.
CREATE TABLE sync_schedules (
    connection_id        TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,
    system               TEXT NOT NULL,
    -- The collections the system can list, comma-separated.
    available            TEXT NOT NULL,
    stopped              INTEGER NOT NULL DEFAULT 0,
    next_run_time        BIGINT NOT NULL,
    next_reconcile_time  BIGINT NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    backoff_until        BIGINT NOT NULL DEFAULT 0,
    -- The last connectivity outcome reported to the connection service.
    reported             TEXT NOT NULL DEFAULT '',
    create_time          BIGINT NOT NULL,
    update_time          BIGINT NOT NULL
);
CREATE INDEX sync_schedules_due ON sync_schedules (next_run_time) WHERE stopped = 0;

-- Per connection and collection: the cursor of the last complete pull and
-- the collection's sync status.
CREATE TABLE sync_collections (
    connection_id     TEXT NOT NULL,
    collection        TEXT NOT NULL,
    cursor            TEXT NOT NULL DEFAULT '',
    -- The since of the first full pull: reconciliation lists from it.
    history_start     BIGINT NOT NULL DEFAULT 0,
    last_success_time BIGINT NOT NULL DEFAULT 0,
    last_error_time   BIGINT NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (connection_id, collection)
);

-- Sync runs, and the durable queue that executes them: a worker claims a run
-- by taking its lease (lease_owner, lease_expires, fenced by attempts) and
-- commits its progress with every lease renewal.
CREATE TABLE sync_runs (
    id             TEXT PRIMARY KEY,
    connection_id  TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    mode           TEXT NOT NULL,
    manual         INTEGER NOT NULL DEFAULT 0,
    collections    TEXT NOT NULL,
    state          TEXT NOT NULL,
    request_id     TEXT NOT NULL DEFAULT '',
    seen           BIGINT NOT NULL DEFAULT 0,
    created        BIGINT NOT NULL DEFAULT 0,
    updated        BIGINT NOT NULL DEFAULT 0,
    deleted        BIGINT NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    error_reason   TEXT NOT NULL DEFAULT '',
    error_collection TEXT NOT NULL DEFAULT '',
    create_time    BIGINT NOT NULL,
    start_time     BIGINT NOT NULL DEFAULT 0,
    end_time       BIGINT NOT NULL DEFAULT 0,
    -- The lease of the worker executing the run.
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_expires  BIGINT NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    -- Progress: the collection being pulled (index into collections), where
    -- its pull stands, and with which cursor and since it started.
    position       INTEGER NOT NULL DEFAULT 0,
    pull_started   INTEGER NOT NULL DEFAULT 0,
    pull_cursor    TEXT NOT NULL DEFAULT '',
    pull_since     BIGINT NOT NULL DEFAULT 0,
    page_token     TEXT NOT NULL DEFAULT '',
    listed         INTEGER NOT NULL DEFAULT 0,
    -- Outbox: the finished run's event and connectivity report to deliver.
    report         TEXT NOT NULL DEFAULT '',
    notify_pending INTEGER NOT NULL DEFAULT 0,
    notify_after   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sync_runs_connection ON sync_runs (connection_id, id);
CREATE UNIQUE INDEX sync_runs_request ON sync_runs (connection_id, request_id) WHERE request_id <> '';
-- At most one run of a connection executes at a time.
CREATE UNIQUE INDEX sync_runs_running ON sync_runs (connection_id) WHERE state = 'RUNNING';
CREATE INDEX sync_runs_claimable ON sync_runs (create_time) WHERE state IN ('QUEUED', 'RUNNING');
CREATE INDEX sync_runs_notify ON sync_runs (notify_after) WHERE notify_pending = 1;

-- +goose Down
DROP TABLE sync_runs;
DROP TABLE sync_collections;
DROP TABLE sync_schedules;
DROP TABLE sync_settings;
