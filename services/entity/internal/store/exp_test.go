package store_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

func TestExpUpsert(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	var d *db.DB
	if os.Getenv("EXP_PG") != "" {
		d = dbtest.Postgres(t, store.Migrations)
	} else {
		d = dbtest.SQLite(t, store.Migrations)
		d.SetMaxOpenConns(1)
	}
	for _, p := range strings.Split(os.Getenv("EXP_PRAGMAS"), ";") {
		if p != "" {
			if _, err := d.Exec("PRAGMA " + p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, ix := range strings.Split(os.Getenv("EXP_DROP"), ",") {
		if ix != "" {
			if _, err := d.Exec("DROP INDEX " + ix); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := store.New(d)
	rows := make([]store.Row, 1000)
	start := time.Now()
	last := start
	for b := 0; b < 200; b++ {
		for i := range rows {
			rows[i] = benchRow("conn_a", b*1000+i, 0)
		}
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
		if (b+1)%50 == 0 {
			t.Logf("%d rows: last 50k at %.0f rows/s", (b+1)*1000, 50000/time.Since(last).Seconds())
			last = time.Now()
		}
	}
	t.Logf("total %.0f rows/s", 200000/time.Since(start).Seconds())
}
