-- +goose Up
-- The health monitor re-checks UNREACHABLE and AUTH_FAILED connections.
ALTER TABLE connections ADD COLUMN check_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN next_check_time BIGINT NOT NULL DEFAULT 0;
CREATE INDEX connections_check ON connections (status, next_check_time);

-- +goose Down
DROP INDEX connections_check;
ALTER TABLE connections DROP COLUMN next_check_time;
ALTER TABLE connections DROP COLUMN check_failures;
