package db_test

import (
	"database/sql"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

var oneTable = fstest.MapFS{
	"migrations/sqlite/00001_t.sql": {Data: []byte("-- +goose Up\nCREATE TABLE t (x INTEGER);\n-- +goose Down\nDROP TABLE t;\n")},
}

// TestSQLiteWritesShareOneConnection checks that on SQLite every write
// transaction and ExecContext runs on the same connection (a TEMP table is
// seen by its own connection alone), however many goroutines write at once,
// and that read-only transactions run elsewhere, also while a write
// transaction is open.
func TestSQLiteWritesShareOneConnection(t *testing.T) {
	d := dbtest.SQLite(t, oneTable)
	ctx := t.Context()
	if _, err := d.ExecContext(ctx, `CREATE TEMP TABLE mark (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			tx, err := d.BeginTx(ctx, nil)
			if err != nil {
				errs <- err
				return
			}
			defer tx.Rollback()
			// Fails on any connection but the one that made the mark.
			if _, err := tx.ExecContext(ctx, `INSERT INTO temp.mark VALUES (?)`, i); err != nil {
				errs <- err
				return
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (?)`, i); err != nil {
				errs <- err
				return
			}
			errs <- tx.Commit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a write transaction: %v", err)
		}
	}

	// A write transaction stays open while a read-only one reads.
	w, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	if _, err := w.ExecContext(ctx, `INSERT INTO t VALUES (100)`); err != nil {
		t.Fatal(err)
	}
	r, err := d.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Rollback()
	var n int
	if err := r.QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 32 {
		t.Fatalf("a read-only transaction beside an open write counts %d rows (%v), want the 32 committed", n, err)
	}
	if err := r.QueryRowContext(ctx, `SELECT COUNT(*) FROM temp.mark`).Scan(&n); err == nil {
		t.Error("a read-only transaction ran on the writer's connection")
	}
}

// TestTxStmt checks that a write transaction's statement is run unprepared
// the first time, then through the one statement prepared meanwhile.
func TestTxStmt(t *testing.T) {
	d := dbtest.SQLite(t, oneTable)
	ctx := t.Context()
	const query = `INSERT INTO t VALUES (?)`
	insert := func(x int) bool {
		t.Helper()
		tx, err := d.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		st, ok := d.TxStmt(ctx, tx, query)
		if ok {
			_, err = st.ExecContext(ctx, x)
		} else {
			_, err = tx.ExecContext(ctx, query, x)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if insert(1) {
		t.Fatal("TxStmt had a statement before its first call")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !insert(2) {
		if time.Now().After(deadline) {
			t.Fatal("TxStmt never prepared its statement")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM t WHERE x IN (1, 2)`).Scan(&n); err != nil || n < 2 {
		t.Errorf("the inserts stored %d rows (%v)", n, err)
	}
}
