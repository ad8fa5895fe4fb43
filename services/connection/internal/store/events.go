package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Event is one entry of an account's event log.
type Event struct {
	Seq          int64
	ID           string
	AccountID    string
	ConnectionID string
	Type         string
	Data         string // JSON object
	DedupeKey    string
	CreateTime   time.Time
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// insertEvents appends events; one whose dedupe key is already recorded is
// skipped. Each recorded event is queued, in the same transaction, for every
// webhook endpoint that wants it (the outbox). It returns how many were
// recorded.
func insertEvents(ctx context.Context, x execer, events []Event) (int, error) {
	n := 0
	hooks := map[string]bool{} // account -> has an enabled webhook endpoint
	for _, e := range events {
		res, err := x.ExecContext(ctx, `INSERT INTO events (id, account_id, connection_id, type, data, dedupe_key, create_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			e.ID, e.AccountID, e.ConnectionID, e.Type, e.Data, e.DedupeKey, db.Micros(e.CreateTime))
		if err != nil {
			return n, err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		n++
		has, known := hooks[e.AccountID]
		if !known {
			if err := x.QueryRowContext(ctx, `SELECT COUNT(*) > 0 FROM webhook_endpoints WHERE account_id = $1 AND enabled`, e.AccountID).Scan(&has); err != nil {
				return n, err
			}
			hooks[e.AccountID] = has
		}
		if has {
			if err := enqueueDeliveries(ctx, x, e); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// AppendEvents records events in one transaction and returns how many were
// new.
func (s *Store) AppendEvents(ctx context.Context, events []Event) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := insertEvents(ctx, tx, events)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// EventFilter selects events of an account.
type EventFilter struct {
	AccountID    string
	Type         string
	ConnectionID string
	AfterSeq     int64
	Limit        int
}

// ListEvents lists an account's events in the order they were recorded.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]Event, error) {
	q := `SELECT seq, id, account_id, connection_id, type, data, dedupe_key, create_time FROM events WHERE account_id = $1 AND seq > $2`
	args := []any{f.AccountID, f.AfterSeq}
	if f.Type != "" {
		args = append(args, f.Type)
		q += fmt.Sprintf(` AND type = $%d`, len(args))
	}
	if f.ConnectionID != "" {
		args = append(args, f.ConnectionID)
		q += fmt.Sprintf(` AND connection_id = $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var created int64
		if err := rows.Scan(&e.Seq, &e.ID, &e.AccountID, &e.ConnectionID, &e.Type, &e.Data, &e.DedupeKey, &created); err != nil {
			return nil, err
		}
		e.CreateTime = db.Time(created)
		out = append(out, e)
	}
	return out, rows.Err()
}
