// Package db opens a service's database — SQLite files under the data
// directory by default, PostgreSQL when the URL is postgres:// — and applies
// the service's embedded migrations.
//
// Each service owns its own tables: in SQLite its own file
// (<data dir>/<service>.db), in PostgreSQL its own schema, named after the
// service, in the shared database.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Dialect names a database engine.
type Dialect string

// The dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// AppendParams appends n placeholders, for the arguments from to
// from+n-1, to b: $from, ... on PostgreSQL; ?, ... on SQLite. SQLite looks
// each named parameter such as $1 up among the names seen before it, so a
// statement of thousands of them takes quadratic time to prepare and bind;
// a plain ? is numbered by its position. So a statement that uses these
// must not use numbered placeholders after them.
func (d Dialect) AppendParams(b *strings.Builder, from, n int) {
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if d == SQLite {
			b.WriteByte('?')
			continue
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
}

// DB is an open database of one service.
type DB struct {
	*sql.DB
	Dialect Dialect
	// pool is the pgx pool under DB, for PostgreSQL; nil for SQLite.
	// database/sql keeps its connections (see openPostgres): use WithPgx
	// for pgx's own API, never the pool itself.
	pool *pgxpool.Pool
	// Schema is the PostgreSQL schema; empty for SQLite.
	Schema string
	// Path is the SQLite file; empty for PostgreSQL.
	Path string

	// writer is, on SQLite, a pool of one connection that runs every write
	// transaction (BeginTx but read-only ones) and ExecContext; nil on
	// PostgreSQL. SQLite takes one writer at a time anyway, so writes queue
	// here instead of in SQLite's busy wait, and the writer's page cache
	// stays valid from one write to the next: SQLite empties a connection's
	// cache at the start of a transaction whenever another connection has
	// written since its last one, which, with writes spread over the pool,
	// was most transactions (the pages of a batch's index lookup read anew,
	// and the cache's memory freed and taken again, about a fifth of a
	// sync's CPU).
	writer *sql.DB

	stmts      stmtCache // Stmt's, on DB
	writeStmts stmtCache // on writer (SQLite)
	preparing  sync.Map  // query -> true, while TxStmt prepares it
}

// BeginTx starts a transaction: on SQLite, a read-only one on the pool of
// readers, any other on the writer.
func (d *DB) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	if d.writer != nil && (opts == nil || !opts.ReadOnly) {
		return d.writer.BeginTx(ctx, opts)
	}
	return d.DB.BeginTx(ctx, opts)
}

// ExecContext runs a statement outside a transaction, on SQLite on the
// writer.
func (d *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if d.writer != nil {
		return d.writer.ExecContext(ctx, query, args...)
	}
	return d.DB.ExecContext(ctx, query, args...)
}

// stmtCache keeps the statements prepared on a pool.
type stmtCache struct {
	stmts sync.Map // query -> *sql.Stmt
	count atomic.Int32
}

func (c *stmtCache) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	if c.count.Add(1) > maxStmts {
		c.count.Add(-1)
		return nil, errTooManyStmts
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		c.count.Add(-1)
		return nil, err
	}
	if prev, loaded := c.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		c.count.Add(-1)
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// maxStmts bounds the statements Stmt keeps: queries built from a user's
// filter could otherwise grow the set without end.
const maxStmts = 512

// errTooManyStmts is Stmt's answer beyond maxStmts.
var errTooManyStmts = errors.New("db: too many prepared statements; run the query unprepared")

// QueryPrepared runs query through Stmt's statement, or unprepared where
// Stmt has none.
func (d *DB) QueryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := d.Stmt(ctx, query)
	if err != nil {
		return d.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowPrepared is QueryPrepared for one row.
func (d *DB) QueryRowPrepared(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := d.Stmt(ctx, query)
	if err != nil {
		return d.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Stmt returns query prepared once and kept, for the hot paths: SQLite
// parses a statement's SQL anew on every call otherwise. The statements
// close with the database. Beyond maxStmts queries it returns an error, and
// the caller runs the query unprepared. On SQLite they are the readers';
// writes use ExecTx, QueryTx and ExecPrepared.
func (d *DB) Stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return d.stmts.get(ctx, d.DB, query)
}

// TxStmt returns query's statement on SQLite, prepared once for the writes
// (see Stmt), bound to tx, a write transaction; false when there is none
// yet, and on PostgreSQL, whose driver prepares and caches every statement
// per connection itself. tx holds the writer's one connection, so the
// first call prepares the statement in the background, once tx is done,
// and runs unprepared meanwhile.
func (d *DB) TxStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, bool) {
	if d.writer == nil {
		return nil, false
	}
	if st, ok := d.writeStmts.stmts.Load(query); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)), true
	}
	if _, busy := d.preparing.LoadOrStore(query, true); !busy {
		go func() {
			defer d.preparing.Delete(query)
			_, _ = d.writeStmts.get(context.Background(), d.writer, query)
		}()
	}
	return nil, false
}

// ExecTx runs a write in tx, a write transaction, through query's statement
// prepared once (TxStmt) when there is one, unprepared otherwise. Each
// query's text is prepared and kept: use it for queries that repeat.
func (d *DB) ExecTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st, ok := d.TxStmt(ctx, tx, query); ok {
		return st.ExecContext(ctx, args...) // a statement of tx closes with it
	}
	return tx.ExecContext(ctx, query, args...)
}

// QueryTx is ExecTx for a query that returns rows (INSERT ... RETURNING, a
// read in a write transaction).
func (d *DB) QueryTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st, ok := d.TxStmt(ctx, tx, query); ok {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// ExecPrepared runs a write outside a transaction through a statement
// prepared once (see Stmt), or unprepared beyond Stmt's bound.
func (d *DB) ExecPrepared(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := d.writeStmt(ctx, query)
	if err != nil {
		return d.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// writeStmt is query's statement on the pool of the writes: the writer's
// on SQLite, the one pool's (Stmt's) on PostgreSQL.
func (d *DB) writeStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if d.writer == nil {
		return d.Stmt(ctx, query)
	}
	return d.writeStmts.get(ctx, d.writer, query)
}

// Options says which database to open.
type Options struct {
	// URL is a postgres:// URL, or empty for SQLite.
	URL string
	// DataDir holds the SQLite files.
	DataDir string
	// Name is the service's name: the SQLite file's name and the schema.
	Name string
	// MaxConns caps the PostgreSQL pool; 0 means 20.
	MaxConns int32
}

// IsPostgres reports whether url names a PostgreSQL database.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open opens the database, creating the SQLite file or the schema if needed.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.Name == "" {
		return nil, errors.New("db: a name is required")
	}
	if IsPostgres(o.URL) {
		return openPostgres(ctx, o)
	}
	if o.URL != "" {
		return nil, fmt.Errorf("db: unsupported database URL scheme (want postgres://): %q", redact(o.URL))
	}
	return openSQLite(ctx, o)
}

// sqliteWritePragmas suit batch writes of a thousand rows whose keys are
// hashes, so that each lands on another page of an index (a sync's records,
// the events of their changes). A commit writes every page it changed to
// the WAL, and a checkpoint copies them into the database file:
//   - cache_size: 4 MiB of pages per connection, not 2 (500 pages, fewer
//     than a batch of 1,000 rows changes), so that the pages a batch reads
//     in its lookup are still cached when it writes them; a larger cache
//     saves more only while a whole index fits in it, and costs memory in
//     every connection of every pool;
//   - cache_spill: a transaction's changed pages stay in memory up to
//     64 MiB instead of being written to the WAL as the cache fills, and
//     again at commit;
//   - wal_autocheckpoint: the WAL grows to 20,000 pages (80 MiB) before a
//     checkpoint, not 1,000, so that a page that batches change again and
//     again is copied and synced once per checkpoint, not once per batch;
//   - temp_store: temporary files in memory, among them the statement
//     journal that a statement of many rows which may fail alone (INSERT
//     ... ON CONFLICT DO NOTHING) keeps of the pages it changes, which
//     otherwise goes to a file past 64 KiB: a write call per page.
//
// Together they cut the CPU of filling the record store by a fifth or more
// (see docs/benchmarks.md).
const sqliteWritePragmas = "&_pragma=cache_size(-4096)&_pragma=cache_spill(16384)&_pragma=wal_autocheckpoint(20000)&_pragma=temp_store(MEMORY)"

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("db: data directory: %w", err)
	}
	path := filepath.Join(o.DataDir, o.Name+".db")
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		sqliteWritePragmas + "&_txlock=immediate"
	readers, err := openPool(ctx, dsn, 8)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	writer, err := openPool(ctx, dsn, 1)
	if err != nil {
		readers.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	return &DB{DB: readers, writer: writer, Dialect: SQLite, Path: path}, nil
}

// openPool opens a pool of up to n SQLite connections, kept open.
func openPool(ctx context.Context, dsn string, n int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(0)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(o.URL)
	if err != nil {
		return nil, fmt.Errorf("db: parse database URL: %w", errors.New(redact(err.Error())))
	}
	schema := o.Name
	if err := createSchema(ctx, cfg.ConnConfig, schema); err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	// Names the service in pg_stat_activity.
	cfg.ConnConfig.RuntimeParams["application_name"] = "millwright/" + schema
	cfg.MaxConns = o.MaxConns
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 20
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	// database/sql keeps 2 idle connections by default and closes the
	// others as they come back, so busy moments churned through new ones,
	// on which each prepared statement (Stmt) was prepared again: a round
	// trip per call. It keeps as many as the pool holds, so the pool has
	// none left for anyone else: WithPgx takes its connection from here.
	sqldb.SetMaxOpenConns(int(cfg.MaxConns))
	sqldb.SetMaxIdleConns(int(cfg.MaxConns))
	return &DB{DB: sqldb, Dialect: Postgres, pool: pool, Schema: schema}, nil
}

// WithPgx calls fn with a PostgreSQL connection of the pool, for what only
// pgx's own API does (COPY, a batch of queries in one round trip). fn must
// leave it as it found it: no transaction open. It is an error on SQLite.
func (d *DB) WithPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	if d.pool == nil {
		return errors.New("db: WithPgx needs PostgreSQL")
	}
	c, err := d.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return WithPgxConn(c, fn)
}

// WriteConn returns a connection for a write transaction (on SQLite, the
// writer's; see BeginTx): a transaction begun on it may, on PostgreSQL, also
// use pgx's own API through WithPgxConn. Close it after the transaction.
func (d *DB) WriteConn(ctx context.Context) (*sql.Conn, error) {
	if d.writer != nil {
		return d.writer.Conn(ctx)
	}
	return d.DB.Conn(ctx)
}

// WithPgxConn calls fn with the PostgreSQL connection under c: inside the
// transaction begun on c, if one is open. It is an error on SQLite.
func WithPgxConn(c *sql.Conn, fn func(*pgx.Conn) error) error {
	return c.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("db: WithPgxConn needs PostgreSQL")
		}
		return fn(pc.Conn())
	})
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("db: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("db: create schema %s: %w", schema, err)
	}
	return nil
}

// Close closes the database and its pool.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.writer != nil {
		err = errors.Join(err, db.writer.Close())
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return err
}

// Migrate applies the migrations of fsys: the files under
// migrations/sqlite/ or migrations/postgres/, by dialect. Replicas starting together take turns (a
// PostgreSQL advisory lock).
func (db *DB) Migrate(ctx context.Context, fsys fs.FS) error {
	return db.migrate(ctx, fsys)
}

// MigrateComponent applies the migrations of a component that keeps its own
// tables in every service's database (the request log), laid out as
// Migrate's, recording them in their own version table so that they never
// mix with the service's own.
func (db *DB) MigrateComponent(ctx context.Context, fsys fs.FS, versionTable string) error {
	return db.migrate(ctx, fsys, goose.WithTableName(versionTable))
}

func (db *DB) migrate(ctx context.Context, fsys fs.FS, extra ...goose.ProviderOption) error {
	sub, err := fs.Sub(fsys, "migrations/"+string(db.Dialect))
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	opts := append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}, extra...)
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(db.Schema)), lock.WithLockTimeout(1, 120))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.DB, sub, opts...)
	if err != nil {
		return fmt.Errorf("db: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate: %w", err)
	}
	return nil
}

func lockID(schema string) int64 {
	var h int64 = 0x6d696c6c // "mill"
	for _, c := range schema {
		h = h*31 + int64(c)
	}
	return h
}

// Now is the current time as the stores keep it: UTC microseconds.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Micros converts a time to the integer column form.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Time converts the integer column form back; 0 is the zero time.
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// redact hides a password in a URL or message.
func redact(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.Index(s[i+3:], "@"); at >= 0 {
			cred := s[i+3 : i+3+at]
			if user, _, ok := strings.Cut(cred, ":"); ok {
				return s[:i+3] + user + ":***" + s[i+3+at:]
			}
		}
	}
	return s
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}
