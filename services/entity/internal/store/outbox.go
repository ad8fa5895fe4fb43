package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// The types of record events.
const (
	RecordCreated = "record.created"
	RecordUpdated = "record.updated"
	RecordDeleted = "record.deleted"
)

// Event is a record event waiting in the outbox: a change of a record, named
// by the record and its content after the change.
//
// The outbox keeps them in batches (see migration 00005), in order: one
// connection's events by the commits of their transactions, and a
// transaction's events as it made them.
type Event struct {
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
	conn   *sql.Conn // tx's: on PostgreSQL, for COPY in the transaction
	events []Event
}

// Transact runs fn in a transaction and, when fn returns nil, commits it
// with the events of the changes fn made in the outbox. fn may run twice:
// when a batch that Upsert took for new holds a stored row, its
// transaction is undone and fn runs again in a new one (in which Upsert
// looks the batch up).
func (s *Store) Transact(ctx context.Context, fn func(*Tx) error) error {
	err := s.transact(ctx, fn)
	if errors.Is(err, errStored) {
		err = s.transact(ctx, fn)
	}
	return err
}

func (s *Store) transact(ctx context.Context, fn func(*Tx) error) error {
	conn, err := s.db.WriteConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	t := &Tx{s: s, tx: sqlTx, conn: conn}
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
	for len(events) > 0 {
		n := 1
		for n < min(len(events), chunk) && sameBatch(events[0], events[n]) {
			n++
		}
		batch := events[:n]
		events = events[n:]
		first := batch[0]
		args := []any{first.Type, first.Connection, first.Collection, db.Micros(first.UpdateTime), n, string(appendRecords(nil, batch))}
		if _, err := s.db.ExecTx(ctx, t.tx, insertBatch, args...); err != nil {
			return err
		}
	}
	return nil
}

const insertBatch = `INSERT INTO outbox (type, connection_id, collection, update_time, n, records) VALUES ($1, $2, $3, $4, $5, $6)`

// sameBatch reports whether two events may share an outbox row.
func sameBatch(a, b Event) bool {
	return a.Type == b.Type && a.Connection == b.Connection && a.Collection == b.Collection && a.UpdateTime.Equal(b.UpdateTime)
}

// appendRecords appends an outbox row's records: a JSON array of [record
// id, remote id, hash in hex] per event.
func appendRecords(b []byte, events []Event) []byte {
	b = append(b, '[')
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = pbjson.AppendString(b, strings.ToValidUTF8(e.ID, "\uFFFD"))
		b = append(b, ',')
		b = pbjson.AppendString(b, strings.ToValidUTF8(e.RemoteID, "\uFFFD"))
		b = append(b, ',', '"')
		b = hex.AppendEncode(b, e.Hash)
		b = append(b, '"', ']')
	}
	return append(b, ']')
}

// Relay passes the oldest events of the outbox to send, in order, and
// deletes them once send returns nil; when it fails they stay for the next
// call. It passes whole batches, the oldest ones that start before the
// limit-th event: at least limit events when the outbox holds as many, and
// fewer than limit plus one batch (at most 1,000 events). It returns how
// many events it passed.
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
	events, seqs, err := pending(ctx, q, limit)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	if err := send(events); err != nil {
		return 0, err
	}
	// On SQLite, whose one writer gives out seqs in the order of commits
	// (and AUTOINCREMENT never one twice), the rows read are every row up
	// to the last one's seq.
	del, arg := `DELETE FROM outbox WHERE seq <= $1`, any(seqs[len(seqs)-1])
	if d == db.Postgres {
		// A smaller seq may be a transaction's that had not committed when
		// the rows were read.
		del, arg = `DELETE FROM outbox WHERE seq = ANY($1)`, seqs
	}
	if _, err := q.ExecContext(ctx, del, arg); err != nil {
		return 0, err
	}
	return len(events), nil
}

// pendingQuery reads the oldest rows of the outbox that start before its
// limit-th event ($1).
const pendingQuery = `SELECT seq, type, connection_id, collection, update_time, records FROM (
		SELECT seq, type, connection_id, collection, update_time, records, SUM(n) OVER (ORDER BY seq) - n AS before
		FROM outbox ORDER BY seq LIMIT $1) AS o
	WHERE before < $1 ORDER BY seq`

// pending reads the oldest events of the outbox (see Relay) and the seqs
// of their rows.
func pending(ctx context.Context, q querier, limit int) ([]Event, []int64, error) {
	rs, err := q.QueryContext(ctx, pendingQuery, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	var out []Event
	var seqs []int64
	for rs.Next() {
		var seq, updated int64
		var e Event
		var records string
		if err := rs.Scan(&seq, &e.Type, &e.Connection, &e.Collection, &updated, &records); err != nil {
			return nil, nil, err
		}
		e.UpdateTime = db.Time(updated)
		var recs [][3]string
		if err := json.Unmarshal([]byte(records), &recs); err != nil {
			return nil, nil, fmt.Errorf("store: outbox row %d: %w", seq, err)
		}
		for _, r := range recs {
			hash, err := hex.DecodeString(r[2])
			if err != nil {
				return nil, nil, fmt.Errorf("store: outbox row %d: %w", seq, err)
			}
			e.ID, e.RemoteID, e.Hash = r[0], r[1], hash
			out = append(out, e)
		}
		seqs = append(seqs, seq)
	}
	return out, seqs, rs.Err()
}
