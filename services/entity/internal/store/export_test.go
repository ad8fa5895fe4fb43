package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// What the tests and benchmarks need to check query plans.
func ListQuery(s *Store, q Query) (string, []any, error) { return s.listQuery(q) }

// Explain returns the plan of a read as List runs it (on PostgreSQL, with
// its planner settings), executed and timed when analyze is set.
func Explain(ctx context.Context, s *Store, analyze bool, query string, args ...any) (string, error) {
	prefix := "EXPLAIN QUERY PLAN "
	if s.db.Dialect == db.Postgres {
		prefix = "EXPLAIN "
		if analyze {
			prefix = "EXPLAIN (ANALYZE, BUFFERS) "
		}
	}
	var b strings.Builder
	err := s.read(ctx, prefix+query, args, func(rs rows) error {
		for rs.Next() {
			// PostgreSQL's one column, or SQLite's id, parent, notused and
			// detail.
			var detail string
			dest := []any{&detail}
			if s.db.Dialect == db.SQLite {
				var id, parent, notused int64
				dest = []any{&id, &parent, &notused, &detail}
			}
			if err := rs.Scan(dest...); err != nil {
				return err
			}
			fmt.Fprintln(&b, detail)
		}
		return nil
	})
	return b.String(), err
}

// Upsert, Tombstone and Finish run Tx's in a transaction of their own.
func (s *Store) Upsert(ctx context.Context, rows []Row, now time.Time, encode func(*Row) error) (created, updated []Row, err error) {
	err = s.Transact(ctx, func(tx *Tx) error {
		created, updated, err = tx.Upsert(ctx, rows, now, encode)
		return err
	})
	return created, updated, err
}

func (s *Store) Tombstone(ctx context.Context, connection, collection string, ids []string, now time.Time) (gone []Row, err error) {
	err = s.Transact(ctx, func(tx *Tx) error {
		gone, err = tx.Tombstone(ctx, connection, collection, ids, now)
		return err
	})
	return gone, err
}

func (s *Store) Finish(ctx context.Context, connection, requestID string, response []byte) error {
	return s.Transact(ctx, func(tx *Tx) error { return tx.Finish(ctx, connection, requestID, response) })
}

// Setting returns a planner setting as List's reads see it.
func Setting(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.read(ctx, `SELECT current_setting($1)`, []any{name}, func(rs rows) error {
		for rs.Next() {
			if err := rs.Scan(&v); err != nil {
				return err
			}
		}
		return nil
	})
	return v, err
}
