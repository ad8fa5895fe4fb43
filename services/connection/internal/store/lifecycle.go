package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Status names kept in the store besides ACTIVE and DISCONNECTED.
const (
	StatusPending     = "PENDING"
	StatusUnreachable = "UNREACHABLE"
	StatusAuthFailed  = "AUTH_FAILED"
	StatusInactive    = "INACTIVE"
	StatusDeleting    = "DELETING"
)

// Transition is a status change a report or an action may make.
type Transition struct {
	ID     string
	From   []string // the statuses it applies to
	To     string
	Reason string
	// NextCheck, when set, is when the health monitor checks next.
	NextCheck time.Time
	// CheckFailures is stored with the change.
	CheckFailures int
}

// Transit changes a connection's status when its current status is one of
// t.From, recording the event made by newEvent(old status) in the same
// transaction. It returns the connection after, and whether it changed.
func (s *Store) Transit(ctx context.Context, t Transition, newEvent func(c Connection) (Event, error)) (Connection, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Connection{}, false, err
	}
	defer tx.Rollback()
	q := `SELECT ` + connectionColumns + ` FROM connections WHERE id = $1`
	if s.db.Dialect == db.Postgres {
		q += ` FOR UPDATE`
	}
	c, err := scanConnection(tx.QueryRowContext(ctx, q, t.ID))
	if err != nil {
		return Connection{}, false, err
	}
	applies := false
	for _, f := range t.From {
		applies = applies || c.Status == f
	}
	if !applies || c.Status == t.To {
		return c, false, nil
	}
	now := db.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE connections SET status = $1, status_reason = $2, status_time = $3, update_time = $3,
		check_failures = $4, next_check_time = $5 WHERE id = $6`,
		t.To, t.Reason, db.Micros(now), t.CheckFailures, db.Micros(t.NextCheck), t.ID); err != nil {
		return Connection{}, false, err
	}
	e, err := newEvent(c)
	if err != nil {
		return Connection{}, false, err
	}
	if _, err := s.insertEvents(ctx, tx, []Event{e}); err != nil {
		return Connection{}, false, err
	}
	c.Status, c.StatusReason, c.StatusTime, c.UpdateTime = t.To, t.Reason, now, now
	if err := tx.Commit(); err != nil {
		return Connection{}, false, err
	}
	return c, true, nil
}

// Disconnect marks a connection DISCONNECTED and drops its token, with its
// events, in one transaction. A second disconnect changes nothing.
func (s *Store) Disconnect(ctx context.Context, accountID, id string, events func(c Connection) ([]Event, error)) (Connection, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Connection{}, false, err
	}
	defer tx.Rollback()
	q := `SELECT ` + connectionColumns + ` FROM connections WHERE id = $1 AND account_id = $2`
	if s.db.Dialect == db.Postgres {
		q += ` FOR UPDATE`
	}
	c, err := scanConnection(tx.QueryRowContext(ctx, q, id, accountID))
	if err != nil {
		return Connection{}, false, err
	}
	if c.Status == StatusDisconnected || c.Status == StatusDeleting {
		return c, false, nil
	}
	now := db.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE connections SET status = $1, status_reason = '', status_time = $2, update_time = $2,
		disconnect_time = $2, token_hash = NULL WHERE id = $3`, StatusDisconnected, db.Micros(now), id); err != nil {
		return Connection{}, false, err
	}
	evs, err := events(c)
	if err != nil {
		return Connection{}, false, err
	}
	if _, err := s.insertEvents(ctx, tx, evs); err != nil {
		return Connection{}, false, err
	}
	c.Status, c.StatusReason, c.StatusTime, c.UpdateTime, c.DisconnectTime, c.TokenHash = StatusDisconnected, "", now, now, now, ""
	return c, true, tx.Commit()
}

// SetToken replaces the token of a connection that is not disconnected.
func (s *Store) SetToken(ctx context.Context, accountID, id, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE connections SET token_hash = $1, update_time = $2 WHERE id = $3 AND account_id = $4 AND status NOT IN ($5, $6)`,
		hash, db.Micros(db.Now()), id, accountID, StatusDisconnected, StatusDeleting)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ConnectionChange is what UpdateConnection may change.
type ConnectionChange struct {
	DisplayName       *string
	Metadata          map[string]string
	Settings          map[string]string
	SealedCredentials []byte
}

// UpdateConnection applies a change.
func (s *Store) UpdateConnection(ctx context.Context, accountID, id string, ch ConnectionChange) error {
	c, err := s.GetConnection(ctx, accountID, id)
	if err != nil {
		return err
	}
	if ch.DisplayName != nil {
		c.DisplayName = *ch.DisplayName
	}
	if ch.Metadata != nil {
		c.Metadata = ch.Metadata
	}
	if ch.Settings != nil {
		c.Settings = ch.Settings
	}
	if ch.SealedCredentials != nil {
		c.SealedCredentials = ch.SealedCredentials
	}
	settings, metadata := marshalMap(c.Settings), marshalMap(c.Metadata)
	_, err = s.db.ExecContext(ctx, `UPDATE connections SET display_name = $1, metadata = $2, settings = $3, credentials = $4, update_time = $5 WHERE id = $6`,
		c.DisplayName, metadata, settings, c.SealedCredentials, db.Micros(db.Now()), id)
	return err
}

// StartDelete moves a DISCONNECTED connection to DELETING; ErrNotDisconnected
// when it is not disconnected.
func (s *Store) StartDelete(ctx context.Context, accountID, id string) (Connection, error) {
	c, err := s.GetConnection(ctx, accountID, id)
	if err != nil {
		return Connection{}, err
	}
	if c.Status == StatusDeleting {
		return c, nil
	}
	if c.Status != StatusDisconnected {
		return c, ErrNotDisconnected
	}
	now := db.Now()
	res, err := s.db.ExecContext(ctx, `UPDATE connections SET status = $1, status_time = $2, update_time = $2 WHERE id = $3 AND status = $4`,
		StatusDeleting, db.Micros(now), id, StatusDisconnected)
	if err != nil {
		return Connection{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Connection{}, ErrNotDisconnected
	}
	c.Status, c.StatusTime, c.UpdateTime = StatusDeleting, now, now
	return c, nil
}

// ErrNotDisconnected is returned when a delete finds a live connection.
var ErrNotDisconnected = errors.New("connection is not disconnected")

// FinishDelete removes a DELETING connection and records its event.
func (s *Store) FinishDelete(ctx context.Context, id string, e Event) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM connections WHERE id = $1 AND status = $2`, id, StatusDeleting); err != nil {
		return err
	}
	if _, err := s.insertEvents(ctx, tx, []Event{e}); err != nil {
		return err
	}
	return tx.Commit()
}

// Deleting lists connections left DELETING (to finish after a restart).
func (s *Store) Deleting(ctx context.Context) ([]Connection, error) {
	return s.query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE status = $1`, StatusDeleting)
}

// ClaimChecks returns connections whose health check is due, moving each
// one's next check to leaseUntil so that another replica does not check it
// at the same time.
func (s *Store) ClaimChecks(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Connection, error) {
	due, err := s.query(ctx, `SELECT `+connectionColumns+` FROM connections WHERE status IN ($1, $2) AND next_check_time <= $3 ORDER BY next_check_time LIMIT $4`,
		StatusUnreachable, StatusAuthFailed, db.Micros(now), limit)
	if err != nil {
		return nil, err
	}
	var out []Connection
	for _, c := range due {
		res, err := s.db.ExecContext(ctx, `UPDATE connections SET next_check_time = $1 WHERE id = $2 AND next_check_time <= $3 AND status = $4`,
			db.Micros(leaseUntil), c.ID, db.Micros(now), c.Status)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, c)
		}
	}
	return out, nil
}

// CheckFailures returns a connection's failed health checks so far.
func (s *Store) CheckFailures(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT check_failures FROM connections WHERE id = $1`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return n, err
}

// ScheduleCheck sets when a connection is checked next.
func (s *Store) ScheduleCheck(ctx context.Context, id string, failures int, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE connections SET check_failures = $1, next_check_time = $2 WHERE id = $3`, failures, db.Micros(next), id)
	return err
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Connection, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
