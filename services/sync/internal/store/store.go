package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Errors of the store.
var (
	// ErrNotFound is returned when a record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrStopped is returned when a connection's schedule is stopped: it was
	// disconnected, and no run may start.
	ErrStopped = errors.New("the connection's syncs are stopped")
	// ErrLeaseLost is returned when a worker writes to a run it no longer
	// holds: the run was cancelled, or another worker claimed it after the
	// lease expired.
	ErrLeaseLost = errors.New("the run's lease was lost")
)

// Store is the sync service's store.
type Store struct {
	db *db.DB
}

// New returns a store on a migrated database.
func New(d *db.DB) *Store { return &Store{db: d} }

// forUpdate is the row-locking suffix of a SELECT inside a transaction:
// FOR UPDATE on PostgreSQL, nothing on SQLite, whose transactions are
// immediate and so already hold the database's write lock.
func (s *Store) forUpdate() string {
	if s.db.Dialect == db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

type queryer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func joinList(l []string) string { return strings.Join(l, ",") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// qualified prefixes each of a list of columns with a table's alias.
func qualified(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func micros(d time.Duration) int64 { return d.Microseconds() }

func duration(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

func one(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Settings say how a connection is synced.
type Settings struct {
	ConnectionID string
	AccountID    string
	Interval     time.Duration
	// Collections to sync; empty means every collection the system can list.
	Collections []string
	// HistoryWindow is how far back a first sync reaches; 0 is everything.
	HistoryWindow time.Duration
	UpdateTime    time.Time
}

// GetSettings returns a connection's settings.
func (s *Store) GetSettings(ctx context.Context, connection string) (Settings, error) {
	var st Settings
	var collections string
	var interval, history, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT connection_id, account_id, interval_us, collections, history_us, update_time
		FROM sync_settings WHERE connection_id = $1`, connection).
		Scan(&st.ConnectionID, &st.AccountID, &interval, &collections, &history, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, ErrNotFound
	}
	st.Interval, st.Collections, st.HistoryWindow, st.UpdateTime = duration(interval), splitList(collections), duration(history), db.Time(updated)
	return st, err
}

const upsertSettings = `INSERT INTO sync_settings (connection_id, account_id, interval_us, collections, history_us, update_time)
	VALUES ($1, $2, $3, $4, $5, $6)`

func insertSettings(ctx context.Context, q queryer, st Settings, onConflict string) error {
	_, err := q.ExecContext(ctx, upsertSettings+onConflict,
		st.ConnectionID, st.AccountID, micros(st.Interval), joinList(st.Collections), micros(st.HistoryWindow), db.Micros(st.UpdateTime))
	return err
}

// PutSettings stores a connection's settings. A shorter interval brings
// the next scheduled run forward to UpdateTime + Interval, unless the
// connection is backing off after failures.
func (s *Store) PutSettings(ctx context.Context, st Settings) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertSettings(ctx, tx, st, ` ON CONFLICT (connection_id) DO UPDATE SET interval_us = excluded.interval_us,
		collections = excluded.collections, history_us = excluded.history_us, update_time = excluded.update_time`); err != nil {
		return err
	}
	next := db.Micros(st.UpdateTime.Add(st.Interval))
	if _, err := tx.ExecContext(ctx, `UPDATE sync_schedules SET next_run_time = $2
		WHERE connection_id = $1 AND next_run_time > $2 AND backoff_until = 0 AND stopped = 0`, st.ConnectionID, next); err != nil {
		return err
	}
	return tx.Commit()
}

// Schedule is when a connection is due, and its backoff.
type Schedule struct {
	ConnectionID string
	AccountID    string
	System       string
	// Available are the collections the system can list.
	Available           []string
	Stopped             bool
	NextRunTime         time.Time
	NextReconcileTime   time.Time
	ConsecutiveFailures int
	BackoffUntil        time.Time
	// Reported is the last connectivity outcome reported for the
	// connection: REACHABLE, UNREACHABLE or AUTH_FAILED.
	Reported   string
	CreateTime time.Time
	UpdateTime time.Time
}

const scheduleColumns = `connection_id, account_id, system, available, stopped, next_run_time, next_reconcile_time,
	consecutive_failures, backoff_until, reported, create_time, update_time`

func scanSchedule(row interface{ Scan(...any) error }, extra ...any) (Schedule, error) {
	var sc Schedule
	var available string
	var stopped int
	var next, reconcile, backoff, created, updated int64
	dest := append([]any{&sc.ConnectionID, &sc.AccountID, &sc.System, &available, &stopped, &next, &reconcile,
		&sc.ConsecutiveFailures, &backoff, &sc.Reported, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Schedule{}, ErrNotFound
		}
		return Schedule{}, err
	}
	sc.Available, sc.Stopped = splitList(available), stopped == 1
	sc.NextRunTime, sc.NextReconcileTime, sc.BackoffUntil = db.Time(next), db.Time(reconcile), db.Time(backoff)
	sc.CreateTime, sc.UpdateTime = db.Time(created), db.Time(updated)
	return sc, nil
}

// GetSchedule returns a connection's schedule.
func (s *Store) GetSchedule(ctx context.Context, connection string) (Schedule, error) {
	return scanSchedule(s.db.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM sync_schedules WHERE connection_id = $1`, connection))
}

// EnsureSchedule schedules a connection with its default settings, once:
// when the connection already has a schedule, its first run time, backoff
// and stopped state are kept, and only its account, system and available
// collections are refreshed (when refresh is true). Settings already stored
// are kept.
func (s *Store) EnsureSchedule(ctx context.Context, sc Schedule, defaults Settings, refresh bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertSettings(ctx, tx, defaults, ` ON CONFLICT (connection_id) DO NOTHING`); err != nil {
		return err
	}
	conflict := ` ON CONFLICT (connection_id) DO NOTHING`
	if refresh {
		conflict = ` ON CONFLICT (connection_id) DO UPDATE SET account_id = excluded.account_id, system = excluded.system,
			available = excluded.available, update_time = excluded.update_time`
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_schedules (`+scheduleColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`+conflict,
		sc.ConnectionID, sc.AccountID, sc.System, joinList(sc.Available), boolInt(sc.Stopped), db.Micros(sc.NextRunTime),
		db.Micros(sc.NextReconcileTime), sc.ConsecutiveFailures, db.Micros(sc.BackoffUntil), sc.Reported,
		db.Micros(sc.CreateTime), db.Micros(sc.UpdateTime)); err != nil {
		return err
	}
	return tx.Commit()
}

// Nudge makes a connection's next run due at now and resets its backoff.
// A stopped schedule stays stopped.
func (s *Store) Nudge(ctx context.Context, connection string, now time.Time) error {
	ok, err := one(s.db.ExecContext(ctx, `UPDATE sync_schedules SET next_run_time = $2, backoff_until = 0, consecutive_failures = 0, update_time = $2
		WHERE connection_id = $1 AND stopped = 0`, connection, db.Micros(now)))
	if err != nil || ok {
		return err
	}
	_, err = s.GetSchedule(ctx, connection)
	return err
}

// Canceled is the error of a run cancelled because its connection was
// disconnected.
const Canceled = "cancelled: the connection was disconnected"

// StopConnection stops a connection's schedule and cancels its queued and
// running runs, in one transaction. A running run keeps its lease until its
// worker acknowledges (Release), so Executing still counts it. It returns
// the number of runs cancelled. A connection without a schedule gets a
// stopped one, so that no run can start for it later.
func (s *Store) StopConnection(ctx context.Context, connection string, now time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	us := db.Micros(now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_schedules (`+scheduleColumns+`)
		VALUES ($1, '', '', '', 1, 0, 0, 0, 0, '', $2, $2)
		ON CONFLICT (connection_id) DO UPDATE SET stopped = 1, update_time = excluded.update_time`, connection, us); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE sync_runs SET state = $2, end_time = $3, error = $4, error_reason = $5
		WHERE connection_id = $1 AND state IN ('QUEUED', 'RUNNING')`,
		connection, StateCancelled, us, Canceled, reasonDisconnected)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

const reasonDisconnected = "CONNECTION_DISCONNECTED"

// Executing counts a connection's runs that a worker may still be executing:
// those whose lease is held and not expired.
func (s *Store) Executing(ctx context.Context, connection string, now time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sync_runs WHERE connection_id = $1 AND lease_owner <> '' AND lease_expires > $2`,
		connection, db.Micros(now)).Scan(&n)
	return n, err
}

// Due is a schedule due for a run, with its connection's settings.
type Due struct {
	Schedule Schedule
	Settings Settings
}

// DueSchedules returns schedules due at now whose connection has no queued
// or running run, oldest due first.
func (s *Store) DueSchedules(ctx context.Context, now time.Time, limit int) ([]Due, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+qualified("s", scheduleColumns)+`, st.interval_us, st.collections, st.history_us
		FROM sync_schedules s JOIN sync_settings st ON st.connection_id = s.connection_id
		WHERE s.stopped = 0 AND s.next_run_time <= $1
		  AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.connection_id = s.connection_id AND r.state IN ('QUEUED', 'RUNNING'))
		ORDER BY s.next_run_time LIMIT $2`, db.Micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Due
	for rows.Next() {
		var interval, history int64
		var collections string
		sc, err := scanSchedule(rows, &interval, &collections, &history)
		if err != nil {
			return nil, err
		}
		out = append(out, Due{Schedule: sc, Settings: Settings{ConnectionID: sc.ConnectionID, AccountID: sc.AccountID,
			Interval: duration(interval), Collections: splitList(collections), HistoryWindow: duration(history)}})
	}
	return out, rows.Err()
}

// EnqueueScheduled claims a due schedule and queues its run, in one
// transaction. The claim moves the schedule's next_run_time from what the
// caller read (due) to next, and its next_reconcile_time to reconcile; it
// fails, queueing nothing, when another replica moved it first, when the
// schedule was stopped, or when the connection has a queued or running run.
func (s *Store) EnqueueScheduled(ctx context.Context, due Schedule, next, reconcile time.Time, r Run) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	ok, err := one(tx.ExecContext(ctx, `UPDATE sync_schedules SET next_run_time = $3, next_reconcile_time = $4, update_time = $5
		WHERE connection_id = $1 AND next_run_time = $2 AND stopped = 0
		  AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.connection_id = $1 AND r.state IN ('QUEUED', 'RUNNING'))`,
		due.ConnectionID, db.Micros(due.NextRunTime), db.Micros(next), db.Micros(reconcile), db.Micros(r.CreateTime)))
	if err != nil || !ok {
		return false, err
	}
	if err := insertRun(ctx, tx, r); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// CollectionState is the sync state of one collection of a connection.
type CollectionState struct {
	Collection string
	// Cursor is the cursor of the last complete pull.
	Cursor string
	// HistoryStart is the since of the collection's first full pull; zero
	// when it reached back to the beginning.
	HistoryStart    time.Time
	LastSuccessTime time.Time
	LastErrorTime   time.Time
	LastError       string
}

// Collections returns the states of a connection's collections that were
// ever synced, by collection.
func (s *Store) Collections(ctx context.Context, connection string) (map[string]CollectionState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT collection, cursor, history_start, last_success_time, last_error_time, last_error
		FROM sync_collections WHERE connection_id = $1`, connection)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]CollectionState{}
	for rows.Next() {
		var c CollectionState
		var start, success, failure int64
		if err := rows.Scan(&c.Collection, &c.Cursor, &start, &success, &failure, &c.LastError); err != nil {
			return nil, err
		}
		c.HistoryStart, c.LastSuccessTime, c.LastErrorTime = db.Time(start), db.Time(success), db.Time(failure)
		out[c.Collection] = c
	}
	return out, rows.Err()
}
