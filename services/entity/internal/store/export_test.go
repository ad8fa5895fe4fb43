package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// What the tests and benchmarks need to check query plans.
func ListQuery(s *Store, q Query) (string, []any, error) { return s.listQuery(q) }

const LiveRemoteIDsQuery = liveRemoteIDsQuery

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
	if s.db.Dialect == db.Postgres {
		err := s.readPostgres(ctx, prefix+query, args, func(rs pgx.Rows) error {
			for rs.Next() {
				v := rs.RawValues()
				fmt.Fprintln(&b, string(v[len(v)-1]))
			}
			return rs.Err()
		})
		return b.String(), err
	}
	err := s.read(ctx, func(q querier) error {
		rs, err := q.QueryContext(ctx, prefix+query, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		cols, err := rs.Columns()
		if err != nil {
			return err
		}
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				return err
			}
			fmt.Fprintln(&b, vals[len(vals)-1]) // the detail, or PostgreSQL's one column
		}
		return rs.Err()
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

// Setting returns a planner setting as readPostgres's query sees it.
func Setting(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.readPostgres(ctx, `SELECT current_setting($1)`, []any{name}, func(rs pgx.Rows) error {
		for rs.Next() {
			v = string(rs.RawValues()[0])
		}
		return rs.Err()
	})
	return v, err
}
