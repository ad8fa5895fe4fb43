package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Run states and modes, as the API names them.
const (
	StateQueued    = "QUEUED"
	StateRunning   = "RUNNING"
	StateSucceeded = "SUCCEEDED"
	StateFailed    = "FAILED"
	StateCancelled = "CANCELLED"

	ModeIncremental = "INCREMENTAL"
	ModeFull        = "FULL"
)

// Counts are a run's record counts.
type Counts struct {
	Seen, Created, Updated, Deleted int64
}

// Add returns c plus o.
func (c Counts) Add(o Counts) Counts {
	return Counts{Seen: c.Seen + o.Seen, Created: c.Created + o.Created, Updated: c.Updated + o.Updated, Deleted: c.Deleted + o.Deleted}
}

// Progress is where a run stands; it is committed with every lease renewal,
// so that a run resumed by another worker goes on from its last committed
// page.
type Progress struct {
	// Position is the index, in the run's collections, of the collection
	// being pulled.
	Position int
	// PullStarted says the pull of that collection started with PullCursor
	// and PullSince, which a resumed run must reuse.
	PullStarted bool
	PullCursor  string
	PullSince   time.Time
	// PageToken is where the pull goes on; empty at its start.
	PageToken string
	// Listed says a reconciling pull listed the whole collection and only
	// the deletions are left to reconcile.
	Listed bool
}

// Lease identifies one claim of a run: the owner and the claim's number,
// which fences off a worker whose lease expired and was claimed again.
type Lease struct {
	RunID   string
	Owner   string
	Attempt int
}

// Run is a sync run, and its place in the queue.
type Run struct {
	ID              string
	ConnectionID    string
	AccountID       string
	Mode            string
	Manual          bool
	Collections     []string
	State           string
	RequestID       string
	Counts          Counts
	Error           string
	ErrorReason     string
	ErrorCollection string
	CreateTime      time.Time
	StartTime       time.Time
	EndTime         time.Time

	LeaseOwner   string
	LeaseExpires time.Time
	Attempts     int
	Progress     Progress

	// Report is the connectivity outcome to report once the run finished.
	Report        string
	NotifyPending bool
	NotifyAfter   time.Time
}

// Lease returns the run's current claim.
func (r Run) Lease() Lease { return Lease{RunID: r.ID, Owner: r.LeaseOwner, Attempt: r.Attempts} }

const runColumns = `id, connection_id, account_id, mode, manual, collections, state, request_id, seen, created, updated, deleted,
	error, error_reason, error_collection, create_time, start_time, end_time, lease_owner, lease_expires, attempts,
	position, pull_started, pull_cursor, pull_since, page_token, listed, report, notify_pending, notify_after`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var collections string
	var manual, started, listed, pending int
	var created, start, end, expires, since, after int64
	err := row.Scan(&r.ID, &r.ConnectionID, &r.AccountID, &r.Mode, &manual, &collections, &r.State, &r.RequestID,
		&r.Counts.Seen, &r.Counts.Created, &r.Counts.Updated, &r.Counts.Deleted,
		&r.Error, &r.ErrorReason, &r.ErrorCollection, &created, &start, &end, &r.LeaseOwner, &expires, &r.Attempts,
		&r.Progress.Position, &started, &r.Progress.PullCursor, &since, &r.Progress.PageToken, &listed,
		&r.Report, &pending, &after)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, ErrNotFound
	}
	if err != nil {
		return Run{}, err
	}
	r.Manual, r.Collections = manual == 1, splitList(collections)
	r.CreateTime, r.StartTime, r.EndTime, r.LeaseExpires = db.Time(created), db.Time(start), db.Time(end), db.Time(expires)
	r.Progress.PullStarted, r.Progress.PullSince, r.Progress.Listed = started == 1, db.Time(since), listed == 1
	r.NotifyPending, r.NotifyAfter = pending == 1, db.Time(after)
	return r, nil
}

func insertRun(ctx context.Context, q queryer, r Run) error {
	_, err := q.ExecContext(ctx, `INSERT INTO sync_runs (id, connection_id, account_id, mode, manual, collections, state, request_id, create_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.ConnectionID, r.AccountID, r.Mode, boolInt(r.Manual), joinList(r.Collections), StateQueued, r.RequestID, db.Micros(r.CreateTime))
	return err
}

// CreateRun queues a run (a manual one) unless the connection's schedule is
// stopped (ErrStopped) or missing (ErrNotFound). A request id already used
// for the connection gets a unique violation.
func (s *Store) CreateRun(ctx context.Context, r Run) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Locking the schedule orders this insert with StopConnection, which
	// stops the schedule before it cancels the queued runs.
	var stopped int
	err = tx.QueryRowContext(ctx, `SELECT stopped FROM sync_schedules WHERE connection_id = $1`+s.forUpdate(), r.ConnectionID).Scan(&stopped)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return err
	case stopped == 1:
		return ErrStopped
	}
	if err := insertRun(ctx, tx, r); err != nil {
		return err
	}
	return tx.Commit()
}

// GetRun returns a run of a connection.
func (s *Store) GetRun(ctx context.Context, connection, id string) (Run, error) {
	return scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM sync_runs WHERE id = $1 AND connection_id = $2`, id, connection))
}

// RunByRequestID returns the run a request id created for a connection.
func (s *Store) RunByRequestID(ctx context.Context, connection, requestID string) (Run, error) {
	return scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM sync_runs WHERE connection_id = $1 AND request_id = $2`, connection, requestID))
}

// ListRuns lists a connection's runs, newest first (run ids sort by
// creation), starting after the id before when it is set.
func (s *Store) ListRuns(ctx context.Context, connection, before string, limit int) ([]Run, error) {
	q := `SELECT ` + runColumns + ` FROM sync_runs WHERE connection_id = $1`
	args := []any{connection, limit}
	if before != "" {
		q += ` AND id < $3`
		args = append(args, before)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// claimPostgres and claimSQLite take the oldest claimable run — queued with
// no running run of its connection, or running with an expired lease
// (its worker died) — and lease it to owner, in one statement.
//
// On PostgreSQL, FOR UPDATE SKIP LOCKED makes replicas that claim at once
// take different rows, never wait on each other, and never both take one
// row. SQLite serialises writes, so the single UPDATE ... WHERE id =
// (SELECT ...) RETURNING is atomic as it stands. On both, the unique index
// sync_runs_running refuses a second running run of a connection. The
// term r.state IN ('QUEUED', 'RUNNING') repeats what the OR below implies:
// SQLite does not infer it, and without it reads every run ever kept
// instead of the partial index sync_runs_claimable.
const (
	claimUpdate = `UPDATE sync_runs SET state = 'RUNNING', lease_owner = $1, lease_expires = $3, attempts = attempts + 1,
		start_time = CASE WHEN start_time = 0 THEN $2 ELSE start_time END
	WHERE id = (
		SELECT r.id FROM sync_runs r
		WHERE r.state IN ('QUEUED', 'RUNNING')
		  AND ((r.state = 'QUEUED' AND NOT EXISTS (SELECT 1 FROM sync_runs o WHERE o.connection_id = r.connection_id AND o.state = 'RUNNING'))
		    OR (r.state = 'RUNNING' AND r.lease_expires <= $2))
		  AND NOT EXISTS (SELECT 1 FROM sync_schedules s WHERE s.connection_id = r.connection_id AND s.stopped = 1)
		ORDER BY r.create_time, r.id
		LIMIT 1`
	claimPostgres = claimUpdate + `
		FOR UPDATE SKIP LOCKED)
	RETURNING ` + runColumns
	claimSQLite = claimUpdate + `)
	RETURNING ` + runColumns
)

// Claim leases the oldest claimable run to owner until now+lease. ok is
// false when there is none.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration) (r Run, ok bool, err error) {
	q := claimSQLite
	if s.db.Dialect == db.Postgres {
		q = claimPostgres
	}
	r, err = scanRun(s.db.QueryRowContext(ctx, q, owner, db.Micros(now), db.Micros(now.Add(lease))))
	switch {
	case errors.Is(err, ErrNotFound):
		return Run{}, false, nil
	case db.IsUniqueViolation(err):
		// Another replica started a run of the same connection at the same
		// moment; this one waits for its turn.
		return Run{}, false, nil
	case err != nil:
		return Run{}, false, err
	}
	return r, true, nil
}

const fenced = ` WHERE id = $1 AND lease_owner = $2 AND attempts = $3`

// Renew extends a running run's lease to until.
func (s *Store) Renew(ctx context.Context, l Lease, until time.Time) error {
	ok, err := one(s.db.ExecContext(ctx, `UPDATE sync_runs SET lease_expires = $4`+fenced+` AND state = 'RUNNING'`,
		l.RunID, l.Owner, l.Attempt, db.Micros(until)))
	if err == nil && !ok {
		err = ErrLeaseLost
	}
	return err
}

// CollectionUpdate changes a collection's state with a checkpoint.
type CollectionUpdate struct {
	Collection string
	// SetCursor stores Cursor and HistoryStart: the pull listed everything.
	SetCursor    bool
	Cursor       string
	HistoryStart time.Time
	// Succeeded, when set, records the collection's success at that time
	// and clears its last error.
	Succeeded time.Time
}

// Checkpoint is what a worker commits after each call: the run's progress
// and counts, its renewed lease and, when a collection's pull completed,
// the collection's new cursor and status.
type Checkpoint struct {
	Progress   Progress
	Counts     Counts
	LeaseUntil time.Time
	Collection *CollectionUpdate
}

// Checkpoint commits a running run's progress and renews its lease, in one
// transaction; ErrLeaseLost when the lease is no longer the worker's or the
// run no longer runs (it was cancelled).
func (s *Store) Checkpoint(ctx context.Context, l Lease, c Checkpoint) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	p := c.Progress
	// RETURNING gives the run's connection, for the collection's update,
	// without another statement.
	var connection string
	err = tx.QueryRowContext(ctx, `UPDATE sync_runs SET lease_expires = $4, position = $5, pull_started = $6, pull_cursor = $7,
		pull_since = $8, page_token = $9, listed = $10, seen = $11, created = $12, updated = $13, deleted = $14`+fenced+` AND state = 'RUNNING'
		RETURNING connection_id`,
		l.RunID, l.Owner, l.Attempt, db.Micros(c.LeaseUntil), p.Position, boolInt(p.PullStarted), p.PullCursor,
		db.Micros(p.PullSince), p.PageToken, boolInt(p.Listed), c.Counts.Seen, c.Counts.Created, c.Counts.Updated, c.Counts.Deleted).Scan(&connection)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrLeaseLost
	}
	if err != nil {
		return err
	}
	if u := c.Collection; u != nil {
		// One upsert sets the cursor (SetCursor), the success (Succeeded),
		// or both; what it does not set keeps its value (or its default in
		// a new row).
		cursor, start := "", int64(0)
		if u.SetCursor {
			cursor, start = u.Cursor, db.Micros(u.HistoryStart)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_collections (connection_id, collection, cursor, history_start, last_success_time)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (connection_id, collection) DO UPDATE SET
				cursor = CASE WHEN $6 = 1 THEN excluded.cursor ELSE sync_collections.cursor END,
				history_start = CASE WHEN $6 = 1 THEN excluded.history_start ELSE sync_collections.history_start END,
				last_success_time = CASE WHEN $7 = 1 THEN excluded.last_success_time ELSE sync_collections.last_success_time END,
				last_error = CASE WHEN $7 = 1 THEN '' ELSE sync_collections.last_error END`,
			connection, u.Collection, cursor, start, db.Micros(u.Succeeded),
			boolInt(u.SetCursor), boolInt(!u.Succeeded.IsZero())); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Finish ends a running run.
type Finish struct {
	State  string
	Error  string
	Reason string
	// Collection is the collection that failed, if one did.
	Collection string
	Counts     Counts
	EndTime    time.Time
	// NotifyAfter is when another replica may deliver the run's event and
	// report, if this worker has not confirmed it delivered them by then.
	NotifyAfter time.Time
}

// Plan computes a connection's schedule after a run ended, and the
// connectivity outcome to report ("" for none).
type Plan func(Schedule) (Schedule, string)

// Finish ends a running run, releases its lease, queues its notification
// and updates its connection's schedule (by plan) and the failed
// collection's last error, all in one transaction. It returns the
// connectivity outcome to report. ErrLeaseLost when the lease is no longer
// the worker's or the run was cancelled.
func (s *Store) Finish(ctx context.Context, l Lease, f Finish, plan Plan) (string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var connection string
	if err := tx.QueryRowContext(ctx, `SELECT connection_id FROM sync_runs WHERE id = $1`, l.RunID).Scan(&connection); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", ErrNotFound
		}
		return "", err
	}
	// The schedule is locked before the run, the order StopConnection takes.
	sc, err := scanSchedule(tx.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM sync_schedules WHERE connection_id = $1`+s.forUpdate(), connection))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	exists := err == nil
	report := ""
	if exists {
		sc, report = plan(sc)
	}
	ok, err := one(tx.ExecContext(ctx, `UPDATE sync_runs SET state = $4, error = $5, error_reason = $6, error_collection = $7,
		seen = $8, created = $9, updated = $10, deleted = $11, end_time = $12, lease_owner = '', lease_expires = 0,
		report = $13, notify_pending = 1, notify_after = $14`+fenced+` AND state = 'RUNNING'`,
		l.RunID, l.Owner, l.Attempt, f.State, f.Error, f.Reason, f.Collection, f.Counts.Seen, f.Counts.Created, f.Counts.Updated,
		f.Counts.Deleted, db.Micros(f.EndTime), report, db.Micros(f.NotifyAfter)))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrLeaseLost
	}
	if exists {
		if _, err := tx.ExecContext(ctx, `UPDATE sync_schedules SET next_run_time = $2, next_reconcile_time = $3, consecutive_failures = $4,
			backoff_until = $5, reported = $6, update_time = $7, stopped = $8 WHERE connection_id = $1`,
			connection, db.Micros(sc.NextRunTime), db.Micros(sc.NextReconcileTime), sc.ConsecutiveFailures, db.Micros(sc.BackoffUntil),
			sc.Reported, db.Micros(f.EndTime), boolInt(sc.Stopped)); err != nil {
			return "", err
		}
	}
	if f.Collection != "" && f.State == StateFailed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_collections (connection_id, collection, last_error_time, last_error) VALUES ($1, $2, $3, $4)
			ON CONFLICT (connection_id, collection) DO UPDATE SET last_error_time = excluded.last_error_time, last_error = excluded.last_error`,
			connection, f.Collection, db.Micros(f.EndTime), f.Error); err != nil {
			return "", err
		}
	}
	return report, tx.Commit()
}

// Release gives up a lease: the acknowledgement of a worker that stopped
// executing a cancelled run, or of one shutting down, whose running run
// another worker may then claim at once.
func (s *Store) Release(ctx context.Context, l Lease) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sync_runs SET lease_owner = '', lease_expires = 0`+fenced, l.RunID, l.Owner, l.Attempt)
	return err
}

// CancelOrphans cancels queued runs of stopped connections (a run queued
// while its connection was being stopped), and returns how many. It reads
// the active runs only (the index sync_runs_claimable), not every stopped
// schedule nor any finished run.
func (s *Store) CancelOrphans(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE sync_runs SET state = $1, end_time = $2, error = $3, error_reason = $4
		WHERE state IN ('QUEUED', 'RUNNING') AND state = 'QUEUED'
		  AND EXISTS (SELECT 1 FROM sync_schedules s WHERE s.connection_id = sync_runs.connection_id AND s.stopped = 1)`,
		StateCancelled, db.Micros(now), Canceled, reasonDisconnected)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PendingNotifications returns finished runs whose event and report were
// not confirmed delivered by notify_after (now).
func (s *Store) PendingNotifications(ctx context.Context, now time.Time, limit int) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM sync_runs WHERE notify_pending = 1 AND notify_after <= $1
		ORDER BY notify_after LIMIT $2`, db.Micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ClaimNotification takes over the delivery of a run's notification,
// moving its deadline from what the caller read to after; false when
// another replica took it first or it was delivered.
func (s *Store) ClaimNotification(ctx context.Context, r Run, after time.Time) (bool, error) {
	return one(s.db.ExecContext(ctx, `UPDATE sync_runs SET notify_after = $3 WHERE id = $1 AND notify_pending = 1 AND notify_after = $2`,
		r.ID, db.Micros(r.NotifyAfter), db.Micros(after)))
}

// Notified records that a run's event and report were delivered.
func (s *Store) Notified(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sync_runs SET notify_pending = 0 WHERE id = $1`, id)
	return err
}

// LastReportingRun returns the id of a connection's run that finished last
// with a connectivity outcome to report; "" if none did.
func (s *Store) LastReportingRun(ctx context.Context, connection string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM sync_runs WHERE connection_id = $1 AND report <> '' AND end_time > 0
		ORDER BY end_time DESC, id DESC LIMIT 1`, connection).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// DeleteFinishedRuns deletes up to limit runs that finished before cutoff
// and whose notification was delivered, oldest first, and returns how many:
// the retention of finished runs.
func (s *Store) DeleteFinishedRuns(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sync_runs WHERE id IN (
		SELECT id FROM sync_runs WHERE notify_pending = 0 AND end_time > 0 AND end_time < $1 ORDER BY end_time LIMIT $2)`,
		db.Micros(cutoff), limit)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
