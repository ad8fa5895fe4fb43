package store_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/cputime"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

// benchDBs runs a benchmark on SQLite and on PostgreSQL.
func benchDBs(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b, store.Migrations)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b, store.Migrations)) })
}

// benchRow is a record of a realistic size: a 400-byte message and 800
// bytes of raw JSON, with an id like the entity service's (random order).
func benchRow(conn string, n int, version int) store.Row {
	remote := strconv.Itoa(n)
	sum := sha256.Sum256([]byte(conn + "\x00workOrders\x00" + remote))
	data := make([]byte, 400)
	binary.LittleEndian.PutUint64(data, uint64(n))
	binary.LittleEndian.PutUint64(data[8:], uint64(version))
	raw := make([]byte, 800)
	for i := range raw {
		raw[i] = 'a' + byte((n+i)%26)
	}
	h := sha256.Sum256(data)
	return store.Row{
		ID: fmt.Sprintf("wo_%x", sum[:16]), Connection: conn, Collection: "workOrders", RemoteID: remote,
		Status: "OPEN", Hash: h[:], Data: data, RemoteData: raw,
	}
}

func nopEncode(*store.Row) error { return nil }

// BenchmarkUpsert measures batches of 1,000 rows into a table that already
// holds STORE_BENCH_UPSERT_ROWS (100,000 by default) of the connection's:
// new rows, new small rows (a 200-byte message, no raw JSON), changed rows
// and unchanged ones. It reports rows/s.
func BenchmarkUpsert(b *testing.B) {
	const batch = 1000
	prefill := envInt(b, "STORE_BENCH_UPSERT_ROWS", 100_000)
	benchDBs(b, func(b *testing.B, d *db.DB) {
		s := store.New(d)
		now := db.Now()
		rows := make([]store.Row, batch)
		next := 0
		fill := func(small bool) {
			for i := range rows {
				rows[i] = benchRow("conn_a", next, 0)
				if small {
					rows[i].Data, rows[i].RemoteData = rows[i].Data[:200], nil
				}
				next++
			}
		}
		var elapsed time.Duration
		cpu := &cpuMeter{d: d}
		for next < prefill {
			fill(false)
			start := time.Now()
			cpu.resume()
			if _, _, err := s.Upsert(ctx, rows, now, nopEncode); err != nil {
				b.Fatal(err)
			}
			cpu.pause()
			elapsed += time.Since(start)
		}
		b.Logf("prefilled %d rows in %v: %.0f rows/s, %.0f rows per CPU-second", next, elapsed.Round(time.Millisecond),
			float64(next)/elapsed.Seconds(), float64(next)/cpu.used.Seconds())
		run := func(name string, prepare func()) {
			b.Run(name, func(b *testing.B) {
				cpu := &cpuMeter{d: d}
				for b.Loop() {
					b.StopTimer()
					prepare()
					b.StartTimer()
					cpu.resume()
					if _, _, err := s.Upsert(ctx, rows, now, nopEncode); err != nil {
						b.Fatal(err)
					}
					cpu.pause()
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(b.N*batch)/cpu.used.Seconds(), "rows/cpu-s")
			})
		}
		run("create", func() { fill(false) })
		run("create-small", func() { fill(true) })
		version := 0
		run("update", func() {
			version++
			for i := range rows {
				rows[i] = benchRow("conn_a", rand.IntN(prefill), version)
			}
		})
		run("unchanged", func() {
			for i := range rows {
				rows[i] = benchRow("conn_a", prefill+i, 0) // made by "create"
			}
		})
	})
}

// cpuMeter counts the CPU time a benchmark's writes cost while it runs: the
// benchmark process's own and, on PostgreSQL, that of the server processes
// behind the pool's connections (when the server runs on this machine). On
// a machine shared with other work it moves less than wall time. Run it
// around each write alone (resume, pause), so that the server processes it
// counts are idle and known at both ends.
type cpuMeter struct {
	d        *db.DB
	used     time.Duration
	self     time.Duration         // this process's CPU when resumed
	backends map[int]time.Duration // the server processes' when resumed
}

// resume starts counting.
func (m *cpuMeter) resume() { m.self, m.backends = cputime.Self(), backendCPU(m.d) }

// pause stops counting. A server process first seen now (a connection
// opened meanwhile) counts from the next interval on.
func (m *cpuMeter) pause() {
	m.used += cputime.Self() - m.self
	for pid, t := range backendCPU(m.d) {
		if before, ok := m.backends[pid]; ok {
			m.used += t - before
		}
	}
}

// backendCPU is the CPU time of each PostgreSQL server process of the
// database's service (its connections name it in application_name), by
// process id; nil for SQLite, or when the server's processes cannot be read
// here.
func backendCPU(d *db.DB) map[int]time.Duration {
	if d.Dialect != db.Postgres {
		return nil
	}
	rs, err := d.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = current_setting('application_name')`)
	if err != nil {
		return nil
	}
	defer rs.Close()
	out := map[int]time.Duration{}
	for rs.Next() {
		var pid int
		if rs.Scan(&pid) != nil {
			return nil
		}
		if t, ok := cputime.Process(pid); ok {
			out[pid] = t
		}
	}
	return out
}

// envInt is a size from the environment, or def.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		b.Fatalf("%s=%q: want a number of at least 1000", name, v)
	}
	return n
}

// BenchmarkListPage fills one connection's collection (STORE_BENCH_ROWS
// rows) and reads its first and its last page of 100 (page 10,000 of
// 1,000,000 rows), in each order: keyset pagination makes them cost the
// same.
func BenchmarkListPage(b *testing.B) {
	const pageSize = 100
	n := envInt(b, "STORE_BENCH_ROWS", 100_000)
	benchDBs(b, func(b *testing.B, d *db.DB) {
		s := store.New(d)
		start := time.Now()
		// Batches of 1,000 a millisecond apart; update times in another
		// order, as a later sync leaves them.
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		type key struct {
			t  int64
			id string
		}
		var created, updated []key
		rows := make([]store.Row, 0, 1000)
		for i := 0; i < n; i += 1000 {
			rows = rows[:0]
			for j := i; j < min(i+1000, n); j++ {
				rows = append(rows, benchRow("conn_a", j, 0))
			}
			now := base.Add(time.Duration(i/1000) * time.Millisecond)
			if _, _, err := s.Upsert(ctx, rows, now, nopEncode); err != nil {
				b.Fatal(err)
			}
			for _, r := range rows {
				created = append(created, key{db.Micros(now), r.ID})
			}
		}
		// Change every other row of a second connection... and a tenth of
		// this one's, later, so update_time differs from create_time.
		rows = rows[:0]
		later := base.Add(time.Hour)
		for j := 0; j < n; j += 10 {
			rows = append(rows, benchRow("conn_a", j, 1))
			if len(rows) == 1000 || j+10 >= n {
				if _, _, err := s.Upsert(ctx, rows, later, nopEncode); err != nil {
					b.Fatal(err)
				}
				later = later.Add(time.Millisecond)
				rows = rows[:0]
			}
		}
		// Another connection's rows, interleaved in every index.
		for i := 0; i < n/10; i += 1000 {
			rows = rows[:0]
			for j := i; j < min(i+1000, n/10); j++ {
				rows = append(rows, benchRow("conn_b", j, 0))
			}
			if _, _, err := s.Upsert(ctx, rows, base.Add(time.Duration(i/1000)*time.Millisecond), nopEncode); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("filled %d rows (+%d of another connection) in %v", n, n/10, time.Since(start).Round(time.Millisecond))
		if d.Dialect == db.Postgres {
			if _, err := d.ExecContext(ctx, "ANALYZE records"); err != nil {
				b.Fatal(err)
			}
		} else if _, err := d.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
		// The update times, read back.
		for i := 0; ; i++ {
			var after *store.Cursor
			if len(updated) > 0 {
				after = &store.Cursor{Time: updated[len(updated)-1].t, ID: updated[len(updated)-1].id}
			}
			page, err := s.List(ctx, store.Query{Connection: "conn_a", Collection: "workOrders", OrderBy: store.Order{Column: "update_time"}, After: after, Limit: 1000})
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range page {
				updated = append(updated, key{db.Micros(r.UpdateTime), r.ID})
			}
			if len(page) < 1000 {
				break
			}
		}
		if len(updated) != n {
			b.Fatalf("read %d rows by update_time, want %d", len(updated), n)
		}
		cmp := func(a, b key) int {
			if a.t != b.t {
				return int(a.t - b.t)
			}
			if a.id < b.id {
				return -1
			}
			return 1
		}
		slices.SortFunc(created, cmp)

		pages := n / pageSize
		for _, o := range []store.Order{{Column: "create_time"}, {Column: "update_time", Desc: true}} {
			keys := created
			if o.Column == "update_time" {
				keys = slices.Clone(updated)
				slices.Reverse(keys)
			}
			for _, page := range []int{1, pages} {
				q := store.Query{Connection: "conn_a", Collection: "workOrders", OrderBy: o, Limit: pageSize}
				if page > 1 {
					k := keys[(page-1)*pageSize-1]
					q.After = &store.Cursor{Time: k.t, ID: k.id}
				}
				b.Run(fmt.Sprintf("order=%s/page=%d", o, page), func(b *testing.B) {
					b.Logf("plan:\n%s", benchExplain(b, s, q))
					for b.Loop() {
						got, err := s.List(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						if len(got) != pageSize || got[0].ID != keys[(page-1)*pageSize].id {
							b.Fatalf("page %d: %d rows, first %s, want %s", page, len(got), got[0].ID, keys[(page-1)*pageSize].id)
						}
					}
				})
			}
		}
	})
}

// benchExplain is the plan of a List query, as the planner picks it for
// the store, executed on PostgreSQL.
func benchExplain(b *testing.B, s *store.Store, q store.Query) string {
	query, args, err := store.ListQuery(s, q)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := store.Explain(ctx, s, true, query, args...)
	if err != nil {
		b.Fatal(err)
	}
	return query + "\n" + plan
}

// BenchmarkWrite measures the store's part of a write through the API: one
// record created in one transaction with its event in the outbox and the
// idempotent response kept, then relayed (read and deleted from the
// outbox), as the entity service does for each create.
//
// It reports the process's CPU time (user and system) per write too, which
// other work on the machine disturbs less than the time.
//
//	go test -run '^$' -bench BenchmarkWrite -cpu 1 -count 5 ./internal/store/
func BenchmarkWrite(b *testing.B) {
	benchDBs(b, func(b *testing.B, d *db.DB) {
		s := store.New(d)
		i := 0
		cpu := cputime.Self()
		defer func() { b.ReportMetric(float64((cputime.Self()-cpu).Microseconds())/float64(b.N), "cpu-µs/op") }()
		for b.Loop() {
			i++
			row, req := benchRow("conn_a", i, 0), strconv.Itoa(i)
			if _, err := s.Begin(ctx, "conn_a", req, []byte("hash"), db.Now()); err != nil {
				b.Fatal(err)
			}
			err := s.Transact(ctx, func(tx *store.Tx) error {
				if _, _, err := tx.Upsert(ctx, []store.Row{row}, db.Now(), nopEncode); err != nil {
					return err
				}
				return tx.Finish(ctx, "conn_a", req, row.Data)
			})
			if err != nil {
				b.Fatal(err)
			}
			if n, err := s.Relay(ctx, 500, func([]store.Event) error { return nil }); err != nil || n != 1 {
				b.Fatalf("Relay = %d, %v", n, err)
			}
		}
	})
}
