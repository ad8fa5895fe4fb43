package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// The types of record events.
const (
	RecordCreated = "record.created"
	RecordUpdated = "record.updated"
	RecordDeleted = "record.deleted"
)

// Event is a record event waiting in the outbox: a change of a record, named
// by the record and its content after the change.
type Event struct {
	// Seq orders the outbox: one connection's events by the commits of
	// their transactions, and a transaction's events as it made them.
	Seq        int64
	Type       string
	Connection string
	Collection string
	// ID and RemoteID are the record's.
	ID         string
	RemoteID   string
	UpdateTime time.Time
	Hash       []byte
}

// Tx is a write transaction of the store (see Transact).
type Tx struct {
	s      *Store
	tx     *sql.Tx
	events []Event
}

// Transact runs fn in a transaction and, when fn returns nil, commits it
// with the events of the changes fn made in the outbox.
func (s *Store) Transact(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	t := &Tx{s: s, tx: sqlTx}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.enqueue(ctx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return err
	}
	if len(t.events) > 0 {
		select {
		case s.committed <- struct{}{}:
		default:
		}
	}
	return nil
}

// Committed receives a value after transactions of this Store that put
// events in the outbox commit: one value for any number of them since the
// last was received.
func (s *Store) Committed() <-chan struct{} { return s.committed }

// announce queues an event of type typ for each row, for the outbox.
func (t *Tx) announce(typ string, rows []Row) {
	for _, r := range rows {
		t.events = append(t.events, Event{Type: typ, Connection: r.Connection, Collection: r.Collection,
			ID: r.ID, RemoteID: r.RemoteID, UpdateTime: r.UpdateTime, Hash: r.Hash})
	}
}

// enqueue inserts events into the outbox.
//
// On PostgreSQL it first takes, until the transaction ends, a lock per
// connection of the events: one connection's transactions then take their
// seqs and commit one at a time, so their order of seqs is their order of
// commits, which the relay keeps. The lock is taken last, after every row
// the transaction writes, so that its holder never waits for another
// transaction, and it is held only for the inserts and the commit.
func (t *Tx) enqueue(ctx context.Context) error {
	s, events := t.s, t.events
	if len(events) == 0 {
		return nil
	}
	if s.db.Dialect == db.Postgres {
		conns := make([]string, len(events))
		for i, e := range events {
			conns[i] = e.Connection
		}
		slices.Sort(conns) // every transaction locks in one order: no deadlock
		for _, c := range slices.Compact(conns) {
			if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '|outbox|' || $1, 0))`, c); err != nil {
				return err
			}
		}
	}
	const cols = 7
	for start := 0; start < len(events); start += chunk {
		batch := events[start:min(start+chunk, len(events))]
		var b strings.Builder
		b.WriteString(`INSERT INTO outbox (type, connection_id, collection, record_id, remote_id, update_time, hash) VALUES `)
		args := values(&b, s.db.Dialect, len(batch), cols, make([]any, 0, len(batch)*cols), func(args []any, i int) []any {
			e := &batch[i]
			hash := e.Hash
			if hash == nil {
				hash = []byte{}
			}
			return append(args, e.Type, e.Connection, e.Collection, e.ID, e.RemoteID, db.Micros(e.UpdateTime), hash)
		})
		if err := s.execBatch(ctx, t.tx, len(batch), b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Relay passes the oldest events of the outbox, at most limit, in seq order,
// to send, and deletes them once send returns nil; when it fails they stay
// for the next call. It returns how many events it passed.
//
// On PostgreSQL, replicas relay one at a time: a call holds a lock until it
// has deleted what it sent, and another replica's call waits for it, then
// reads what is left, so one connection's events are sent in the order of
// their seqs whichever replica sends them. A replica that dies during a
// call leaves its events to the next call, which may send some a second
// time.
func (s *Store) Relay(ctx context.Context, limit int, send func([]Event) error) (int, error) {
	if s.db.Dialect != db.Postgres {
		// SQLite has one writer, which a transaction held while send runs
		// would keep from every write; the process's one relay reads alone.
		return relay(ctx, prepared{s.db}, s.db.Dialect, limit, send)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '|relay', 0))`); err != nil {
		return 0, err
	}
	n, err := relay(ctx, tx, s.db.Dialect, limit, send)
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

type execQuerier interface {
	querier
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

func relay(ctx context.Context, q execQuerier, d db.Dialect, limit int, send func([]Event) error) (int, error) {
	events, err := pending(ctx, q, limit)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	if err := send(events); err != nil {
		return 0, err
	}
	// On SQLite, whose one writer gives out seqs in the order of commits
	// (and AUTOINCREMENT never one twice), the events read are every event
	// up to the last one's seq.
	del, arg := `DELETE FROM outbox WHERE seq <= $1`, any(events[len(events)-1].Seq)
	if d == db.Postgres {
		// A smaller seq may be a transaction's that had not committed when
		// the events were read.
		seqs := make([]int64, len(events))
		for i, e := range events {
			seqs[i] = e.Seq
		}
		del, arg = `DELETE FROM outbox WHERE seq = ANY($1)`, seqs
	}
	if _, err := q.ExecContext(ctx, del, arg); err != nil {
		return 0, err
	}
	return len(events), nil
}

// pending reads the oldest events of the outbox.
func pending(ctx context.Context, q querier, limit int) ([]Event, error) {
	rs, err := q.QueryContext(ctx, `SELECT seq, type, connection_id, collection, record_id, remote_id, update_time, hash
		FROM outbox ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Event
	for rs.Next() {
		var e Event
		var updated int64
		if err := rs.Scan(&e.Seq, &e.Type, &e.Connection, &e.Collection, &e.ID, &e.RemoteID, &updated, &e.Hash); err != nil {
			return nil, err
		}
		e.UpdateTime = db.Time(updated)
		out = append(out, e)
	}
	return out, rs.Err()
}
