package db_test

import (
	"testing"

	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

// TestSQLiteWritePragmas checks that every connection of the pool runs with
// the batch-write settings (the driver takes them from the file name, and
// would ignore one it did not understand).
func TestSQLiteWritePragmas(t *testing.T) {
	d := dbtest.SQLite(t, nil)
	ctx := t.Context()
	// Several connections at once, so that more than one is checked.
	for _, c := range dbtest.Conns(t, d, 3) {
		for pragma, want := range map[string]int{"cache_size": -4096, "cache_spill": 16384, "wal_autocheckpoint": 20000, "temp_store": 2} {
			var got int
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %d, want %d", pragma, got, want)
			}
		}
	}
}
