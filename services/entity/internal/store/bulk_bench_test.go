package store_test

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"testing"

	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/db"
)

// BenchmarkBulkCopy's database: the one a running service uses.
var (
	bulkConnection = flag.String("store.bulk.connection", "", "BenchmarkBulkCopy: the connection whose stored records it copies; it skips without one")
	bulkURL        = flag.String("store.bulk.database-url", "", "BenchmarkBulkCopy: the PostgreSQL database; empty for SQLite")
	bulkDataDir    = flag.String("store.bulk.data-dir", "", "BenchmarkBulkCopy: the SQLite data directory")
	bulkName       = flag.String("store.bulk.name", "entity", "BenchmarkBulkCopy: the service's name: its SQLite file, its PostgreSQL schema")
	bulkBatch      = flag.Int("store.bulk.batch", 2000, "BenchmarkBulkCopy: rows per Upsert (a sync stores a Maximo page of 2,000 at a time)")
)

// BenchmarkBulkCopy is a plain bulk insert of the records a sync stored: it
// reads every live record of -store.bulk.connection, a page of
// -store.bulk.batch at a time, from the database a running service uses,
// and stores copies of them under a new connection with Upsert (new ids
// derived as the service derives them, so as randomly placed in the id
// index), one batch per call; then it deletes the copies. Only the Upserts
// are timed. It reports the rows written per second (rows/s) and per
// CPU-second (rows/cpu-s: this process, and on PostgreSQL the server
// processes of its connections), and how many rows it wrote (rows): the
// store's own limit, which BenchmarkSyncAndList (services/millwright)
// reports beside the sync's rate.
func BenchmarkBulkCopy(b *testing.B) {
	if *bulkConnection == "" {
		b.Skip("set -store.bulk.connection (BenchmarkSyncAndList in services/millwright does)")
	}
	if *bulkBatch < 1 {
		b.Fatalf("-store.bulk.batch=%d: want at least 1", *bulkBatch)
	}
	d, err := db.Open(ctx, db.Options{URL: *bulkURL, DataDir: *bulkDataDir, Name: *bulkName})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	s := store.New(d)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	copyConn := "conn_bulkcopy_" + hex.EncodeToString(suffix)
	clean := func() {
		if _, err := s.DeleteConnection(ctx, copyConn, 5000); err != nil {
			b.Fatal(err)
		}
	}
	defer clean()

	var rows int
	cpu := &cpuMeter{d: d}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		clean()
		rows = bulkCopy(b, s, cpu, *bulkConnection, copyConn, *bulkBatch)
	}
	if rows == 0 {
		b.Fatalf("connection %q has no stored records to copy", *bulkConnection)
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.N*rows)/cpu.used.Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(rows), "rows")
}

// bulkCopy copies the live records of every collection of from to to, batch
// rows per Upsert, with the timer and cpu running only in the Upserts, and
// returns how many it copied.
func bulkCopy(b *testing.B, s *store.Store, cpu *cpuMeter, from, to string, batch int) int {
	n := 0
	for _, col := range model.All() {
		var after *store.Cursor
		for {
			page, err := s.List(ctx, store.Query{Connection: from, Collection: col.Name, After: after, Limit: batch, RemoteData: true})
			if err != nil {
				b.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			next := page[len(page)-1].CursorFor(store.Order{})
			for i := range page {
				page[i].Connection, page[i].ID = to, col.ID(to, page[i].RemoteID)
			}
			b.StartTimer()
			cpu.resume()
			created, _, err := s.Upsert(ctx, page, db.Now(), nil)
			cpu.pause()
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if len(created) != len(page) {
				b.Fatalf("%s: %d of %d copies created", col.Name, len(created), len(page))
			}
			n += len(page)
			after = &next
			if len(page) < batch {
				break
			}
		}
	}
	return n
}
