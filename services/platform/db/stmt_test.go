package db_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

func TestStmtIsPreparedOnceAndBounded(t *testing.T) {
	d := dbtest.SQLite(t, fstest.MapFS{
		"migrations/sqlite/00001_t.sql": {Data: []byte("-- +goose Up\nCREATE TABLE t (x INTEGER);\n-- +goose Down\nDROP TABLE t;\n")},
	})
	first, err := d.Stmt(t.Context(), `SELECT 1`)
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.Stmt(t.Context(), `SELECT 1`)
	if err != nil || again != first {
		t.Fatalf("the same query prepared twice: %p then %p (%v)", first, again, err)
	}
	if _, err := d.Stmt(t.Context(), `SELECT FROM nowhere`); err == nil {
		t.Fatal("a broken query prepared")
	}
	kept := 1
	for i := range 1000 {
		if _, err := d.Stmt(t.Context(), fmt.Sprintf(`SELECT %d AS n`, i)); err == nil {
			kept++
		}
	}
	if kept != 512 {
		t.Errorf("kept %d statements, want the bound, 512", kept)
	}
	var n int
	if err := first.QueryRowContext(t.Context()).Scan(&n); err != nil || n != 1 {
		t.Errorf("the kept statement answers %d, %v", n, err)
	}
}
