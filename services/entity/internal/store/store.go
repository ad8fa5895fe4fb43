package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// Row is one stored record.
type Row struct {
	// ID is Millwright's id; unique. The caller derives it from
	// (Connection, Collection, RemoteID).
	ID         string
	Connection string
	Collection string
	RemoteID   string
	// Status is the unified status enum's value name ("OPEN"), "" when the
	// collection has none.
	Status string
	// CreateTime is set by the store: when the record was first stored.
	CreateTime time.Time
	// UpdateTime is set by the store: when the record last changed (its
	// content, or its tombstone).
	UpdateTime time.Time
	// DeleteTime is zero unless the record is tombstoned.
	DeleteTime time.Time
	// Hash is the content hash computed by the caller; an equal hash means
	// the record is unchanged.
	Hash []byte
	// Data is opaque to the store (a protobuf message).
	Data []byte
	// RemoteData is opaque JSON; may be nil.
	RemoteData []byte
}

// Store is the entity service's store.
type Store struct {
	db *db.DB
	// committed receives a value (dropped when one is waiting) after each
	// transaction that put events in the outbox.
	committed chan struct{}
	// fresh holds the collections (group) whose last Upsert found its rows
	// all new, as a first sync's pages are: the next is written without
	// looking its rows up first (see Upsert). DeleteConnection forgets a
	// connection's.
	fresh sync.Map
}

// group is a connection's collection.
type group struct{ connection, collection string }

// New returns a store on a migrated database.
func New(d *db.DB) *Store { return &Store{db: d, committed: make(chan struct{}, 1)} }

// chunk is the most rows one statement writes or looks up: 1,000 rows of 11
// parameters stay well under SQLite's 32,766 and PostgreSQL's 65,535.
const chunk = 1000

// rowColumns are the columns scanRow reads, remote_data last.
const rowColumns = `id, connection_id, collection, remote_id, status, create_time, update_time, delete_time, hash, data`

type scanner interface{ Scan(...any) error }

// scanRow reads rowColumns, and remote_data too when withRemote.
func scanRow(sc scanner, withRemote bool) (Row, error) {
	var r Row
	var created, updated, deleted int64
	dest := []any{&r.ID, &r.Connection, &r.Collection, &r.RemoteID, &r.Status, &created, &updated, &deleted, &r.Hash, &r.Data}
	if withRemote {
		dest = append(dest, &r.RemoteData)
	}
	if err := sc.Scan(dest...); err != nil {
		return Row{}, err
	}
	r.CreateTime, r.UpdateTime, r.DeleteTime = db.Time(created), db.Time(updated), db.Time(deleted)
	return r, nil
}

// micros normalizes a time to what the store keeps: UTC microseconds.
func micros(t time.Time) (int64, time.Time) {
	us := t.UnixMicro()
	return us, time.UnixMicro(us).UTC()
}

// values appends to b n rows of cols placeholders each, "(…),(…)", and to
// args the rows' arguments, which add appends for row i.
func values(b *strings.Builder, d db.Dialect, n, cols int, args []any, add func(args []any, i int) []any) []any {
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		d.AppendParams(b, len(args)+1, cols)
		b.WriteByte(')')
		args = add(args, i)
	}
	return args
}

// in returns a condition "col is one of vals", appending its arguments:
// = ANY($n) with one array parameter on PostgreSQL, IN (?, ...) on SQLite.
func (s *Store) in(col string, vals []string, args []any) (string, []any) {
	if s.db.Dialect == db.Postgres {
		args = append(args, vals)
		return col + " = ANY($" + strconv.Itoa(len(args)) + ")", args
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	s.db.Dialect.AppendParams(&b, len(args)+1, len(vals))
	b.WriteByte(')')
	for _, v := range vals {
		args = append(args, v)
	}
	return b.String(), args
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// prepared runs queries through statements prepared once (pgx caches its
// own on PostgreSQL; SQLite would parse every query anew).
type prepared struct{ db *db.DB }

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryPrepared(ctx, query, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowPrepared(ctx, query, args...)
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecPrepared(ctx, query, args...)
}

// rows is what read hands its caller: *sql.Rows on SQLite, pgx.Rows on
// PostgreSQL.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// read runs a read that pages through an index in its order. On PostgreSQL
// it rules out sorts first: the planner, when its statistics have not yet
// seen a connection, thinks its collection holds a row or two, and may sort
// all of it, for every page, rather than read the index in order. The
// setting and the query go as one pgx batch, one round trip, which
// PostgreSQL runs in one implicit transaction, the one the setting lasts
// for. On SQLite the query runs through a statement prepared once.
func (s *Store) read(ctx context.Context, query string, args []any, fn func(rows) error) error {
	if s.db.Dialect == db.Postgres {
		return s.db.WithPgx(ctx, func(c *pgx.Conn) error {
			b := &pgx.Batch{}
			b.Queue(noSortQuery)
			b.Queue(query, args...).Query(func(rs pgx.Rows) error {
				if err := fn(rs); err != nil {
					return err
				}
				return rs.Err()
			})
			return c.SendBatch(ctx, b).Close()
		})
	}
	rs, err := prepared{s.db}.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	if err := fn(rs); err != nil {
		return err
	}
	return rs.Err()
}

// noSortQuery rules out sorts for the rest of a PostgreSQL transaction.
const noSortQuery = `SELECT set_config('enable_sort', 'off', true), set_config('enable_incremental_sort', 'off', true)`

// key is a row's key.
type key struct{ connection, collection, id string }

// stored is what Upsert needs to know of a row already stored.
type stored struct {
	remoteID string
	hash     []byte
	created  time.Time
	deleted  bool
	written  bool  // by this batch, earlier: to the place at
	at       place // of the row written
}

// place is where Upsert put a row: its index in the inserts or the updates.
type place struct {
	i     int
	isNew bool
}

// Upsert stores rows keyed by ID. A row whose ID is new
// is created (CreateTime = UpdateTime = now). A row whose Hash differs from
// the stored one, or that was tombstoned, is updated (UpdateTime = now,
// DeleteTime cleared, CreateTime kept). A row with the stored hash is left
// as it is. Before writing, Upsert calls encode (when not nil) for each
// created or changed row after setting its times, so the caller can put the
// times into Data. It returns the created and the updated rows, with their
// final times, in input order. An ID given twice in one batch is taken in
// order: the later row is compared with the earlier one. An ID stored for
// another remote id (or, on PostgreSQL, another connection or collection)
// is an error. Each created and each updated row has its record.created or
// record.updated event in the outbox when the transaction commits.
//
// Upsert looks the batch's rows up first, but for a batch of a collection
// whose last batch was all new (a first sync's pages, after the first): it
// takes that for new and inserts it at once, without the lookup. Should a
// row of it be stored after all, the transaction is undone and Transact
// runs it again, with the lookup; encode has then been called for rows of
// it twice.
//
// Upserts of the same rows that run at once on PostgreSQL may both report a
// row created (the store stays consistent: the last write wins); callers
// that announce events should not sync one collection of a connection twice
// at once.
func (t *Tx) Upsert(ctx context.Context, rows []Row, now time.Time, encode func(*Row) error) (created, updated []Row, err error) {
	if len(rows) == 0 {
		return nil, nil, nil
	}
	// The ids to look up, by connection and collection (a batch is usually
	// of one collection).
	var groups []group
	ids := map[group][]string{}
	for i := range rows {
		r := &rows[i]
		if r.ID == "" || r.Connection == "" || r.Collection == "" || r.RemoteID == "" {
			return nil, nil, fmt.Errorf("store: row %d: ID, Connection, Collection and RemoteID are required", i)
		}
		g := group{r.Connection, r.Collection}
		if _, ok := ids[g]; !ok {
			groups = append(groups, g)
		}
		ids[g] = append(ids[g], r.ID)
	}
	_, nowT := micros(now)

	// A batch of a collection whose last batch was all new is taken for
	// new, and written without a lookup, unless that finds a row stored.
	_, guess := t.s.fresh.Load(groups[0])
	guess = guess && len(groups) == 1
	known := make(map[key]stored, len(rows))
	if !guess {
		for _, g := range groups {
			all := ids[g]
			for start := 0; start < len(all); start += chunk {
				if err := t.s.lookup(ctx, t.tx, g.connection, g.collection, all[start:min(start+chunk, len(all))], known); err != nil {
					return nil, nil, err
				}
			}
		}
		for _, g := range groups {
			if len(known) == 0 {
				t.s.fresh.Store(g, struct{}{})
			} else {
				t.s.fresh.Delete(g)
			}
		}
	}
	inserts, updates, created, updated, err := classify(rows, known, nowT, encode)
	if err != nil {
		return nil, nil, err
	}
	if guess {
		err = t.insertNew(ctx, inserts)
		if db.IsUniqueViolation(err) {
			// Undone (or to be): Transact runs it again, looked up.
			t.s.fresh.Delete(groups[0])
			err = fmt.Errorf("%w: %w", errStored, err)
		}
	} else {
		err = t.write(ctx, inserts, updates)
	}
	if err != nil {
		return nil, nil, err
	}
	t.announce(RecordCreated, created)
	t.announce(RecordUpdated, updated)
	return created, updated, nil
}

// errStored is Upsert's answer when a batch it took for new holds a stored
// row: the transaction is undone, and Transact runs it again.
var errStored = errors.New("store: a row taken for new is stored")

// classify sorts rows by what they are to the store (known holds the
// stored rows): new ones to insert, changed ones to update, and unchanged
// ones to leave; it sets the times of the rows it keeps and encodes them.
func classify(rows []Row, known map[key]stored, nowT time.Time, encode func(*Row) error) (inserts, updates, created, updated []Row, err error) {
	// The rows to write: new ones, and changed ones.
	for n, in := range rows {
		room := len(rows) - n
		r := in
		k := key{r.Connection, r.Collection, r.ID}
		st, ok := known[k]
		switch {
		case !ok:
			r.CreateTime, r.UpdateTime, r.DeleteTime = nowT, nowT, time.Time{}
		case st.remoteID != r.RemoteID:
			return nil, nil, nil, nil, fmt.Errorf("store: id %q of %s/%s is stored for remote id %q, not %q",
				r.ID, r.Connection, r.Collection, st.remoteID, r.RemoteID)
		case st.deleted || !bytes.Equal(st.hash, r.Hash):
			r.CreateTime, r.UpdateTime, r.DeleteTime = st.created, nowT, time.Time{}
		default:
			continue
		}
		if encode != nil {
			if err := encode(&r); err != nil {
				return nil, nil, nil, nil, err
			}
			if (key{r.Connection, r.Collection, r.ID}) != k || r.RemoteID != in.RemoteID {
				return nil, nil, nil, nil, fmt.Errorf("store: encode changed the key of record %q", in.ID)
			}
		}
		if r.Hash == nil {
			r.Hash = []byte{}
		}
		if r.Data == nil {
			r.Data = []byte{}
		}
		next := stored{remoteID: r.RemoteID, hash: r.Hash, created: r.CreateTime, written: true}
		switch {
		case ok && st.written && st.at.isNew: // given twice, new the first time
			inserts[st.at.i], next.at = r, st.at
		case ok && st.written:
			updates[st.at.i], next.at = r, st.at
		case !ok:
			next.at = place{len(inserts), true}
			inserts = appendRow(inserts, r, room)
		default:
			next.at = place{len(updates), false}
			updates = appendRow(updates, r, room)
		}
		known[k] = next
		if ok {
			updated = appendRow(updated, r, room)
		} else {
			created = appendRow(created, r, room)
		}
	}

	return inserts, updates, created, updated, nil
}

// appendRow appends r to list, made with room for room rows when nil: a page
// is usually all new (a first sync) or mostly unchanged, so a list is made
// for the rest of the page when its first row comes, not grown row by row.
func appendRow(list []Row, r Row, room int) []Row {
	if list == nil {
		list = make([]Row, 0, room)
	}
	return append(list, r)
}

// lookup adds the stored state of a collection's rows with these ids to
// known. On PostgreSQL it names the ids alone (see the migration), and an
// id stored for another connection or collection is an error.
func (s *Store) lookup(ctx context.Context, tx *sql.Tx, connection, collection string, ids []string, known map[key]stored) error {
	query := `SELECT id, connection_id, collection, remote_id, hash, create_time, delete_time FROM records WHERE `
	var args []any
	if s.db.Dialect == db.SQLite {
		query += `connection_id = ? AND collection = ? AND `
		args = []any{connection, collection}
	}
	cond, args := s.in("id", ids, args)
	var rs *sql.Rows
	var err error
	if len(ids) == chunk { // prepared once: see execBatch
		rs, err = s.db.QueryTx(ctx, tx, query+cond, args...)
	} else {
		rs, err = tx.QueryContext(ctx, query+cond, args...)
	}
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var k key
		var st stored
		var created, deleted int64
		if err := rs.Scan(&k.id, &k.connection, &k.collection, &st.remoteID, &st.hash, &created, &deleted); err != nil {
			return err
		}
		if k.connection != connection || k.collection != collection {
			return fmt.Errorf("store: id %q of %s/%s is stored for %s/%s", k.id, connection, collection, k.connection, k.collection)
		}
		st.created, st.deleted = db.Time(created), deleted != 0
		known[k] = st
	}
	return rs.Err()
}

// write stores the new rows and the changed ones, in key order: index pages
// are visited in order, and concurrent writers on PostgreSQL lock rows in
// the same order (no deadlock).
//
// PostgreSQL takes them all in INSERT ... ON CONFLICT DO UPDATE, safe
// against a concurrent writer (see writePostgres). SQLite has one writer at
// a time, so the lookup is exact there, and it takes a plain INSERT and an
// UPDATE ... FROM (VALUES ...): an upsert of many rows makes SQLite copy
// every page it changes to a statement journal first, so that it can undo
// the statement alone, which takes a quarter of its time; OR ROLLBACK needs
// no such journal (an error rolls the transaction back, as Upsert would
// anyway).
func (t *Tx) write(ctx context.Context, inserts, updates []Row) error {
	s, tx := t.s, t.tx
	if s.db.Dialect == db.Postgres {
		all := append(inserts, updates...)
		slices.SortFunc(all, byKey)
		return t.writePostgres(ctx, all, len(updates) == 0)
	}
	slices.SortFunc(inserts, byKey)
	slices.SortFunc(updates, byKey)
	if err := inChunks(inserts, func(rows []Row) error { return s.insert(ctx, tx, rows) }); err != nil {
		return err
	}
	return inChunks(updates, func(rows []Row) error { return s.update(ctx, tx, rows) })
}

// upsertPostgres is the statement of writePostgres: rows as arrays, one
// per column (a handful of parameters whatever the number of rows, so one
// prepared statement serves every batch), upserted but for their
// create_time.
const upsertPostgres = `INSERT INTO records (connection_id, collection, id, remote_id, status, create_time, update_time, delete_time, hash, data, remote_data)
	SELECT c, k, i, r, s, ct, ut, 0, h, d, rd
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bytea[], $9::bytea[], $10::bytea[])
		AS v(c, k, i, r, s, ct, ut, h, d, rd)
	ON CONFLICT (id) DO UPDATE SET status = excluded.status, update_time = excluded.update_time, delete_time = 0,
		hash = excluded.hash, data = excluded.data, remote_data = excluded.remote_data`

// writePostgres stores rows, in key order, with upsertPostgres. When the
// lookup found them all new (a first sync's first batch) it first tries
// insertNew, which spares the server ON CONFLICT's search of the id index
// before each row, and both sides the arrays of a batch's megabytes; should
// another writer have stored one of them since the lookup, that is undone
// to a savepoint, and the rows go through the upsert.
func (t *Tx) writePostgres(ctx context.Context, rows []Row, allNew bool) error {
	if allNew {
		if _, err := t.tx.ExecContext(ctx, `SAVEPOINT new_rows`); err != nil {
			return err
		}
		err := t.insertNew(ctx, rows)
		if err == nil {
			_, err = t.tx.ExecContext(ctx, `RELEASE SAVEPOINT new_rows`)
			return err
		}
		if !db.IsUniqueViolation(err) {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT new_rows`); err != nil {
			return err
		}
	}
	return inChunks(rows, func(rows []Row) error { return execArrays(ctx, t.tx, upsertPostgres, rows) })
}

// byKey orders rows by their key.
func byKey(a, b Row) int {
	return cmp.Or(strings.Compare(a.Connection, b.Connection), strings.Compare(a.Collection, b.Collection), strings.Compare(a.ID, b.ID))
}

// insertNew inserts rows, in key order, that are taken for new: by COPY on
// PostgreSQL, by INSERT OR ROLLBACK on SQLite. A stored one among them is a
// unique violation, which on SQLite has undone the transaction.
func (t *Tx) insertNew(ctx context.Context, rows []Row) error {
	slices.SortFunc(rows, byKey)
	if t.s.db.Dialect == db.Postgres {
		return t.copyPostgres(ctx, rows)
	}
	return inChunks(rows, func(rows []Row) error { return t.s.insert(ctx, t.tx, rows) })
}

// copyColumns are the columns copyPostgres fills.
var copyColumns = []string{"connection_id", "collection", "id", "remote_id", "status", "create_time", "update_time", "delete_time", "hash", "data", "remote_data"}

// copyPostgres inserts new rows with COPY, in the transaction.
func (t *Tx) copyPostgres(ctx context.Context, rows []Row) error {
	vals := make([]any, len(copyColumns)) // reused: COPY encodes a row before it asks for the next
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := &rows[i]
		vals[0], vals[1], vals[2], vals[3], vals[4] = r.Connection, r.Collection, r.ID, r.RemoteID, r.Status
		vals[5], vals[6], vals[7] = db.Micros(r.CreateTime), db.Micros(r.UpdateTime), int64(0)
		vals[8], vals[9], vals[10] = r.Hash, r.Data, r.RemoteData // a nil RemoteData is NULL
		return vals, nil
	})
	return db.WithPgxConn(t.conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"records"}, copyColumns, src)
		return err
	})
}

// execArrays runs writePostgres's statement on rows.
func execArrays(ctx context.Context, tx *sql.Tx, query string, rows []Row) error {
	n := len(rows)
	conns, cols, ids, remotes, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	created, updated := make([]int64, n), make([]int64, n)
	hashes, data, raw := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	for i, r := range rows {
		conns[i], cols[i], ids[i], remotes[i], statuses[i] = r.Connection, r.Collection, r.ID, r.RemoteID, r.Status
		created[i], updated[i] = db.Micros(r.CreateTime), db.Micros(r.UpdateTime)
		hashes[i], data[i], raw[i] = r.Hash, r.Data, r.RemoteData // a nil RemoteData is NULL
	}
	_, err := tx.ExecContext(ctx, query, conns, cols, ids, remotes, statuses, created, updated, hashes, data, raw)
	return err
}

// inChunks calls fn with rows, chunk at a time.
func inChunks(rows []Row, fn func([]Row) error) error {
	for start := 0; start < len(rows); start += chunk {
		if err := fn(rows[start:min(start+chunk, len(rows))]); err != nil {
			return err
		}
	}
	return nil
}

func remoteData(r Row) any {
	if r.RemoteData == nil {
		return nil
	}
	return r.RemoteData
}

// insert inserts rows (SQLite).
func (s *Store) insert(ctx context.Context, tx *sql.Tx, rows []Row) error {
	const cols = 11
	var b strings.Builder
	b.Grow(300 + len(rows)*cols*2)
	b.WriteString(`INSERT OR ROLLBACK INTO records (connection_id, collection, id, remote_id, status, create_time, update_time, delete_time, hash, data, remote_data) VALUES `)
	args := values(&b, s.db.Dialect, len(rows), cols, make([]any, 0, len(rows)*cols), func(args []any, i int) []any {
		r := &rows[i]
		return append(args, r.Connection, r.Collection, r.ID, r.RemoteID, r.Status,
			db.Micros(r.CreateTime), db.Micros(r.UpdateTime), int64(0), r.Hash, r.Data, remoteData(*r))
	})
	return s.execBatch(ctx, tx, len(rows), b.String(), args...)
}

// update overwrites stored rows (SQLite) but for their create_time.
func (s *Store) update(ctx context.Context, tx *sql.Tx, rows []Row) error {
	const cols = 8
	var b strings.Builder
	b.Grow(300 + len(rows)*cols*2)
	b.WriteString(`UPDATE OR ROLLBACK records SET status = v.column4, update_time = v.column5, delete_time = 0,
		hash = v.column6, data = v.column7, remote_data = v.column8 FROM (VALUES `)
	args := values(&b, s.db.Dialect, len(rows), cols, make([]any, 0, len(rows)*cols), func(args []any, i int) []any {
		r := &rows[i]
		return append(args, r.Connection, r.Collection, r.ID, r.Status, db.Micros(r.UpdateTime), r.Hash, r.Data, remoteData(*r))
	})
	b.WriteString(`) AS v WHERE records.connection_id = v.column1 AND records.collection = v.column2 AND records.id = v.column3`)
	return s.execBatch(ctx, tx, len(rows), b.String(), args...)
}

// execBatch runs a batch statement of n rows in tx, through the statement
// prepared once (db.ExecTx) when n is a full chunk: every large batch
// repeats it, and SQLite's parse of its thousands of parameters would
// otherwise cost about 4% of the batch. Other sizes run unprepared, so that
// each size does not keep a statement of its own.
func (s *Store) execBatch(ctx context.Context, tx *sql.Tx, n int, query string, args ...any) error {
	var err error
	if n == chunk {
		_, err = s.db.ExecTx(ctx, tx, query, args...)
	} else {
		_, err = tx.ExecContext(ctx, query, args...)
	}
	return err
}

// Get returns one record of a connection's collection, tombstoned or not;
// ErrNotFound if there is none.
func (s *Store) Get(ctx context.Context, connection, collection, id string) (Row, error) {
	return s.get(ctx, s.db, connection, collection, id)
}

// Get is Store.Get within the transaction.
func (t *Tx) Get(ctx context.Context, connection, collection, id string) (Row, error) {
	return t.s.get(ctx, t.tx, connection, collection, id)
}

func (s *Store) get(ctx context.Context, q querier, connection, collection, id string) (Row, error) {
	var sc scanner
	if s.db.Dialect == db.Postgres {
		// By id alone (see the migration), then checked.
		sc = q.QueryRowContext(ctx, `SELECT `+rowColumns+`, remote_data FROM records WHERE id = $1`, id)
	} else {
		sc = q.QueryRowContext(ctx, `SELECT `+rowColumns+`, remote_data FROM records WHERE connection_id = $1 AND collection = $2 AND id = $3`,
			connection, collection, id)
	}
	r, err := scanRow(sc, true)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (r.Connection != connection || r.Collection != collection)) {
		return Row{}, ErrNotFound
	}
	return r, err
}

// Tombstone marks the live records of a collection with these ids deleted
// at now (DeleteTime = UpdateTime = now, so that readers following
// update_time see deletions) and returns them, in the order of ids, without
// RemoteData. Ids unknown or already tombstoned are skipped. Each
// tombstoned record has its record.deleted event in the outbox when the
// transaction commits.
func (t *Tx) Tombstone(ctx context.Context, connection, collection string, ids []string, now time.Time) ([]Row, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	us, _ := micros(now)
	byID := make(map[string]Row, len(ids))
	for start := 0; start < len(ids); start += chunk {
		cond, args := t.s.in("id", ids[start:min(start+chunk, len(ids))], []any{us, connection, collection})
		rs, err := t.tx.QueryContext(ctx, `UPDATE records SET delete_time = $1, update_time = $1
			WHERE connection_id = $2 AND collection = $3 AND delete_time = 0 AND `+cond+` RETURNING `+rowColumns, args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			r, err := scanRow(rs, false)
			if err != nil {
				rs.Close()
				return nil, err
			}
			byID[r.ID] = r
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]Row, 0, len(byID))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id)
		}
	}
	t.announce(RecordDeleted, out)
	return out, nil
}

// Count returns the number of live records of a collection. It counts them,
// so it costs in proportion to the collection's size.
func (s *Store) Count(ctx context.Context, connection, collection string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE connection_id = $1 AND collection = $2 AND delete_time = 0`,
		connection, collection).Scan(&n)
	return n, err
}

// DeleteConnection deletes every record of a connection, batch records per
// transaction (so that other writers wait little; 0 means 1,000), then its
// idempotency records. It returns how many records it deleted.
func (s *Store) DeleteConnection(ctx context.Context, connection string, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	s.fresh.Range(func(g, _ any) bool {
		if g.(group).connection == connection {
			s.fresh.Delete(g)
		}
		return true
	})
	// A batch of the connection's rows, by their physical address, found
	// through an index (on PostgreSQL, whose statistics may think the
	// connection most of the table, sequential scans are ruled out).
	del := `DELETE FROM records WHERE rowid IN (SELECT rowid FROM records WHERE connection_id = $1 LIMIT $2)`
	if s.db.Dialect == db.Postgres {
		del = `DELETE FROM records WHERE ctid = ANY(ARRAY(SELECT ctid FROM records WHERE connection_id = $1 LIMIT $2))`
	}
	var total int64
	for {
		n, err := s.deleteBatch(ctx, del, connection, batch)
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			break
		}
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency WHERE connection_id = $1`, connection)
	return total, err
}

func (s *Store) deleteBatch(ctx context.Context, del, connection string, batch int) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if s.db.Dialect == db.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('enable_seqscan', 'off', true)`); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, del, connection, batch)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
