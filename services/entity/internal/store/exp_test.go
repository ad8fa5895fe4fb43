package store_test

import (
	"os"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

func TestExpPG(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	d := dbtest.Postgres(t, store.Migrations)
	s := store.New(d)
	rows := make([]store.Row, 1000)
	for b := 0; b < 20; b++ {
		for i := range rows {
			rows[i] = benchRow("conn_a", b*1000+i, 0)
		}
		start := time.Now()
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
		t.Logf("batch %d: %v", b, time.Since(start))
	}
	ids := make([]string, 1000)
	for i := range rows {
		ids[i] = rows[i].ID
	}
	for i := 0; i < 3; i++ {
		start := time.Now()
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
		t.Logf("unchanged: %v", time.Since(start))
	}
	for i := 0; i < 8; i++ {
		start := time.Now()
		rs, err := d.Query(`SELECT r.id, r.remote_id, r.hash, r.create_time, r.delete_time FROM unnest($3::text[]) AS k(id),
			LATERAL (SELECT id, remote_id, hash, create_time, delete_time FROM records
				WHERE connection_id = $1 AND collection = $2 AND id = k.id LIMIT 1) AS r`, "conn_a", "workOrders", ids)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rs.Next() {
			n++
		}
		rs.Close()
		t.Logf("lookup %d rows: %v", n, time.Since(start))
	}
	for _, mode := range []string{"auto", "force_generic_plan"} {
		tx, _ := d.Begin()
		tx.Exec("SET LOCAL plan_cache_mode = " + mode)
		tx.Exec(`PREPARE q(text, text, text[]) AS SELECT r.id, r.remote_id, r.hash, r.create_time, r.delete_time FROM unnest($3::text[]) AS k(id),
			LATERAL (SELECT id, remote_id, hash, create_time, delete_time FROM records
				WHERE connection_id = $1 AND collection = $2 AND id = k.id LIMIT 1) AS r`)
		rs, err := tx.Query(`EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('conn_a', 'workOrders', $1)`, ids)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var l string
			rs.Scan(&l)
			t.Log(mode, l)
		}
		rs.Close()
		tx.Exec("DEALLOCATE q")
		tx.Rollback()
	}
	var relpages, reltuples float64
	d.QueryRow("SELECT relpages, reltuples FROM pg_class WHERE relname = 'records' AND relnamespace = current_schema()::regnamespace").Scan(&relpages, &reltuples)
	t.Log("pg_class", relpages, reltuples)
	if _, err := d.Exec("ANALYZE records"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		start := time.Now()
		if _, _, err := s.Upsert(ctx, rows, db.Now(), nopEncode); err != nil {
			t.Fatal(err)
		}
		t.Logf("unchanged after analyze: %v", time.Since(start))
	}
	rs, err := d.Query(`EXPLAIN (ANALYZE, BUFFERS) SELECT r.id, r.remote_id, r.hash, r.create_time, r.delete_time FROM unnest($3::text[]) AS k(id),
			LATERAL (SELECT id, remote_id, hash, create_time, delete_time FROM records
				WHERE connection_id = $1 AND collection = $2 AND id = k.id LIMIT 1) AS r`, "conn_a", "workOrders", ids)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var l string
		rs.Scan(&l)
		t.Log(l)
	}
}
