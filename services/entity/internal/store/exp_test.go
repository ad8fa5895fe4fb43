package store_test

import (
	"math/rand/v2"
	"os"
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
	}
	s := store.New(d)
	rows := make([]store.Row, 1000)
	start := time.Now()
	last := start
	const batches = 200
	for b := 0; b < batches; b++ {
		for i := range rows {
			rows[i] = benchRow("conn_a", b*1000+i, 0)
		}
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
		if (b+1)%50 == 0 {
			t.Logf("create %d rows: last 50k at %.0f rows/s", (b+1)*1000, 50000/time.Since(last).Seconds())
			last = time.Now()
		}
	}
	t.Logf("create total %.0f rows/s", batches*1000/time.Since(start).Seconds())
	start = time.Now()
	for b := 0; b < 30; b++ {
		for i := range rows {
			rows[i] = benchRow("conn_a", rand.IntN(batches*1000), b+1)
		}
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("update %.0f rows/s", 30000/time.Since(start).Seconds())
	start = time.Now()
	for b := 0; b < 30; b++ {
		for i := range rows {
			rows[i] = benchRow("conn_b", b*1000+i, 0)
		}
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("new connection create %.0f rows/s", 30000/time.Since(start).Seconds())
}
