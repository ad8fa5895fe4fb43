// Package requestlog keeps a short log of how each API request ended, so
// that support can find a request by the id every response carries: request
// id, REST method and path (or gRPC method), account, connection, status
// code, reason, time and duration. It keeps no request or response body and
// no credential.
//
// Every service keeps its own log in its own database (the component's
// tables, migrated by Migrate): the gRPC server's interceptors queue one
// entry per call made with a user's credential, and a writer stores them in
// batches and purges entries older than Retention. The connection service
// answers lookups over its own log and the others' (Lookup).
package requestlog

import (
	"context"
	"embed"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Retention is how long entries are kept.
const Retention = 7 * 24 * time.Hour

//go:embed migrations
var migrations embed.FS

// Migrate creates or updates the request log's table in a service's
// database.
func Migrate(ctx context.Context, d *db.DB) error {
	return d.MigrateComponent(ctx, migrations, "request_log_versions")
}

// Entry is how one request ended.
type Entry struct {
	RequestID  string
	Account    string
	Time       time.Time
	Duration   time.Duration
	Service    string
	GRPCMethod string
	HTTPMethod string
	HTTPPath   string
	Connection string
	StatusCode int
	Code       string
	Reason     string
	Message    string
}

const (
	queueSize     = 8192
	batchSize     = 500
	flushEvery    = 500 * time.Millisecond
	purgeEvery    = time.Hour
	maxMessage    = 500
	maxPath       = 512
	maxIdentifier = 128
)

// Log is one service's request log.
type Log struct {
	db      *db.DB
	service string
	log     *slog.Logger
	queue   chan Entry
	dropped atomic.Int64
}

// New returns the log of a service on its database. Run writes what the
// interceptors queue.
func New(d *db.DB, service string, log *slog.Logger) *Log {
	if log == nil {
		log = slog.Default()
	}
	return &Log{db: d, service: service, log: log, queue: make(chan Entry, queueSize)}
}

// Add queues an entry. It never blocks the request: when the writer falls
// behind and the queue is full, the entry is dropped and counted.
func (l *Log) Add(e Entry) {
	e.Service = l.service
	e.Message = clip(e.Message, maxMessage)
	e.HTTPPath = clip(e.HTTPPath, maxPath)
	e.HTTPMethod = clip(e.HTTPMethod, 16)
	e.RequestID = clip(e.RequestID, maxIdentifier)
	select {
	case l.queue <- e:
	default:
		l.dropped.Add(1)
	}
}

// Run writes queued entries in batches and purges old ones until ctx is
// done, then writes what is still queued. It first applies the log's
// migrations, in case the service's database has not had them yet.
func (l *Log) Run(ctx context.Context) {
	if err := Migrate(context.WithoutCancel(ctx), l.db); err != nil {
		l.log.Error("request log: migrate", "error", err)
	}
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	purge := time.NewTicker(purgeEvery)
	defer purge.Stop()
	l.purge(ctx)
	for {
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			l.report(l.Flush(stop))
			return
		case <-flush.C:
			l.report(l.Flush(ctx))
		case <-purge.C:
			l.purge(ctx)
		}
	}
}

func (l *Log) report(err error) {
	if err != nil {
		l.log.Warn("request log: write failed", "error", err)
	}
	if n := l.dropped.Swap(0); n > 0 {
		l.log.Warn("request log: entries dropped, the writer fell behind", "dropped", n)
	}
}

func (l *Log) purge(ctx context.Context) {
	if _, err := l.Purge(ctx, time.Now().Add(-Retention)); err != nil && ctx.Err() == nil {
		l.log.Warn("request log: purge failed", "error", err)
	}
}

// Flush writes every queued entry now.
func (l *Log) Flush(ctx context.Context) error {
	for {
		batch := make([]Entry, 0, batchSize)
	fill:
		for len(batch) < batchSize {
			select {
			case e := <-l.queue:
				batch = append(batch, e)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return nil
		}
		if err := l.write(ctx, batch); err != nil {
			return err
		}
	}
}

const columns = "request_id, account_id, time, duration_us, service, grpc_method, http_method, http_path, connection_id, status_code, code, reason, message"

var columnNames = strings.Split(strings.ReplaceAll(columns, " ", ""), ",")

// write stores a batch: by COPY on PostgreSQL, by one prepared insert in a
// transaction on SQLite.
func (l *Log) write(ctx context.Context, batch []Entry) error {
	row := func(e Entry) []any {
		return []any{e.RequestID, e.Account, db.Micros(e.Time), e.Duration.Microseconds(), e.Service, e.GRPCMethod,
			e.HTTPMethod, e.HTTPPath, e.Connection, e.StatusCode, e.Code, e.Reason, e.Message}
	}
	if l.db.Dialect == db.Postgres {
		return l.db.WithPgx(ctx, func(c *pgx.Conn) error {
			_, err := c.CopyFrom(ctx, pgx.Identifier{"request_log"}, columnNames, pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) {
				return row(batch[i]), nil
			}))
			return err
		})
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insert, err := tx.PrepareContext(ctx, "INSERT INTO request_log ("+columns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
	if err != nil {
		return err
	}
	defer insert.Close()
	for _, e := range batch {
		if _, err := insert.ExecContext(ctx, row(e)...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Purge deletes the entries older than before and says how many.
func (l *Log) Purge(ctx context.Context, before time.Time) (int64, error) {
	res, err := l.db.ExecContext(ctx, "DELETE FROM request_log WHERE time < $1", db.Micros(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Find returns an account's entries of a request id, newest first.
func (l *Log) Find(ctx context.Context, requestID, account string) ([]Entry, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT "+columns+" FROM request_log WHERE request_id = $1 AND account_id = $2 ORDER BY time DESC LIMIT 20", requestID, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var t, d int64
		if err := rows.Scan(&e.RequestID, &e.Account, &t, &d, &e.Service, &e.GRPCMethod, &e.HTTPMethod, &e.HTTPPath, &e.Connection, &e.StatusCode, &e.Code, &e.Reason, &e.Message); err != nil {
			return nil, err
		}
		e.Time, e.Duration = db.Time(t), time.Duration(d)*time.Microsecond
		out = append(out, e)
	}
	return out, rows.Err()
}

// clip cuts s to at most n bytes, dropping a character cut in two.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
