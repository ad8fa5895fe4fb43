package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// insertEvents appends events, a hundred rows per statement; one whose
// dedupe key is already recorded is skipped. The conflict names the dedupe
// index alone: with no target, PostgreSQL checks every unique index of the
// table before each row (BenchmarkAppendEvents: about a sixth slower).
// Each recorded event is queued, in the same transaction, for every webhook
// endpoint that wants it (the outbox). It returns how many were recorded.
func (s *Store) insertEvents(ctx context.Context, x execer, events []Event) (int, error) {
	n := 0
	hooks := map[string]bool{} // account -> has an enabled webhook endpoint
	for len(events) > 0 {
		batch := events[:min(len(events), 100)]
		events = events[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO events (id, account_id, connection_id, type, data, dedupe_key, create_time) VALUES `)
		args := make([]any, 0, len(batch)*7)
		for i, e := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			s.db.Dialect.AppendParams(&q, i*7+1, 7)
			q.WriteByte(')')
			args = append(args, e.ID, e.AccountID, e.ConnectionID, e.Type, e.Data, e.DedupeKey, db.Micros(e.CreateTime))
		}
		q.WriteString(` ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING RETURNING id`)
		recorded, err := s.recorded(ctx, x, len(batch), q.String(), args)
		if err != nil {
			return n, err
		}
		for _, e := range batch {
			if !recorded[e.ID] {
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
	}
	return n, nil
}

// recorded runs an insert of insertEvents and returns the ids it recorded.
func (s *Store) recorded(ctx context.Context, x execer, n int, query string, args []any) (map[string]bool, error) {
	// A full batch in a transaction runs through its statement prepared
	// once (db.QueryTx): every large append repeats it, and SQLite's parse
	// of its 700 parameters would otherwise cost about a sixth of the
	// append.
	var rows *sql.Rows
	var err error
	if tx, ok := x.(*sql.Tx); ok && n == 100 {
		rows, err = s.db.QueryTx(ctx, tx, query, args...)
	} else {
		rows, err = x.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	recorded := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		recorded[id] = true
	}
	return recorded, rows.Err()
}

// AppendEvents records events in one transaction and returns how many were
// new.
func (s *Store) AppendEvents(ctx context.Context, events []Event) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := s.insertEvents(ctx, tx, events)
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
	// AfterSeq is the cursor: events after it, or before it when Desc (0:
	// from the start).
	AfterSeq int64
	// Desc lists newest first.
	Desc  bool
	Limit int
}

// ListEvents lists an account's events in the order they were recorded, or
// the reverse.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]Event, error) {
	q := `SELECT seq, id, account_id, connection_id, type, data, dedupe_key, create_time FROM events WHERE account_id = $1 AND seq > $2`
	order := "seq"
	args := []any{f.AccountID, f.AfterSeq}
	if f.Desc {
		q = strings.Replace(q, "seq > $2", "($2 = 0 OR seq < $2)", 1)
		order = "seq DESC"
	}
	if f.Type != "" {
		args = append(args, f.Type)
		q += fmt.Sprintf(` AND type = $%d`, len(args))
	}
	if f.ConnectionID != "" {
		args = append(args, f.ConnectionID)
		q += fmt.Sprintf(` AND connection_id = $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY %s LIMIT $%d`, order, len(args))
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
