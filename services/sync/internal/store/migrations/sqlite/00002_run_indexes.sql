-- +goose Up
-- The worker's queries touch only active runs, so their indexes hold only
-- active runs: finished runs (a row per run, kept for the retention period)
-- must not slow a claim, a due-schedule check or a stop.
CREATE INDEX sync_runs_active ON sync_runs (connection_id) WHERE state IN ('QUEUED', 'RUNNING');
DROP INDEX sync_runs_claimable;
CREATE INDEX sync_runs_claimable ON sync_runs (create_time, id) WHERE state IN ('QUEUED', 'RUNNING');
-- Finished runs whose notification was delivered, oldest first: what the
-- retention deletes.
CREATE INDEX sync_runs_finished ON sync_runs (end_time) WHERE notify_pending = 0 AND end_time > 0;

-- +goose Down
DROP INDEX sync_runs_finished;
DROP INDEX sync_runs_claimable;
CREATE INDEX sync_runs_claimable ON sync_runs (create_time) WHERE state IN ('QUEUED', 'RUNNING');
DROP INDEX sync_runs_active;
