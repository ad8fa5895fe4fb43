package sync_test

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	syncsvc "github.com/millwright-dev/millwright/services/sync"
)

var (
	idleConnections = flag.Int("sync.connections", 10000, "connections BenchmarkIdleConnections schedules")
	idleWindow      = flag.Duration("sync.window", 30*time.Second, "how long BenchmarkIdleConnections measures each case")
	idleHistory     = flag.Int("sync.history", 0, "finished runs per connection BenchmarkIdleConnections adds before measuring (96 is a day at 15 minutes)")
)

// BenchmarkIdleConnections schedules -sync.connections connections (every
// collection of the unified model, the default 15-minute interval) against
// an entity service whose incremental pulls find no change, lets their
// first runs finish, optionally adds -sync.history finished runs per
// connection, then measures the process's CPU time over -sync.window
// divided by the window: the sync service's CPU, as a percentage of one
// core (the fakes run in this process too, and count in it).
//
//   - every-15m: the steady state, the runs of the connections falling due
//     (about connections/900 runs per second).
//   - between-runs: every schedule is moved a day ahead, so no run falls in
//     the window: the worker's polling alone.
//
// It runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set:
//
//	go test -run '^$' -bench BenchmarkIdleConnections -benchtime 1x ./ -sync.window 60s
func BenchmarkIdleConnections(b *testing.B) {
	dbs := []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", func(tb testing.TB) *db.DB { return dbtest.SQLite(tb, syncsvc.Migrations) }}}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dbs = append(dbs, struct {
			name string
			open func(testing.TB) *db.DB
		}{"postgres", func(tb testing.TB) *db.DB { return dbtest.Postgres(tb, syncsvc.Migrations) }})
	}
	for _, database := range dbs {
		b.Run(database.name, func(b *testing.B) {
			d := database.open(b)
			f := newFakes(b)
			f.entity.pages, f.entity.idle = 1, true
			r := f.replica(b, d, options{poll: time.Second})
			scheduleMany(b, r, *idleConnections)
			start := time.Now()
			waitFinished(b, d, *idleConnections, 45*time.Minute)
			b.Logf("%d first runs finished in %v", *idleConnections, time.Since(start).Round(time.Second))
			if *idleHistory > 0 {
				addHistory(b, d, *idleHistory)
			}

			b.Run("every-15m", func(b *testing.B) {
				// Connections whose slot passed while the first runs
				// went on are due at once; the window starts after they ran.
				waitQueued(b, d, 4, 30*time.Minute)
				measureIdle(b, d)
			})
			b.Run("between-runs", func(b *testing.B) {
				if _, err := d.ExecContext(ctx, `UPDATE sync_schedules SET next_run_time = next_run_time + $1`, (24 * time.Hour).Microseconds()); err != nil {
					b.Fatal(err)
				}
				waitFinished(b, d, 0, 10*time.Minute)
				measureIdle(b, d)
			})
		})
	}
}

// scheduleMany schedules n connections, as the connection service does
// when they are created, 8 at a time.
func scheduleMany(b *testing.B, r *replica, n int) {
	b.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if _, err := r.internal.ScheduleConnection(ctx, &syncv1.ScheduleConnectionRequest{
					Connection: fmt.Sprintf("conn_idle_%05d", i), Account: "acct_1", System: "maintainx",
				}); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// waitFinished waits until conns connections have a succeeded run (their
// first) or, when conns is 0, until no run is queued or running; a failed
// run fails the benchmark. (With thousands of connections, a connection
// whose first run ended early is due again before the last first run.)
func waitFinished(b *testing.B, d *db.DB, conns int, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for {
		var synced, failed, active int
		if err := d.QueryRowContext(ctx, `SELECT
			COUNT(DISTINCT CASE WHEN state = 'SUCCEEDED' THEN connection_id END), COUNT(CASE WHEN state = 'FAILED' THEN 1 END),
			COUNT(CASE WHEN state IN ('QUEUED', 'RUNNING') THEN 1 END) FROM sync_runs`).Scan(&synced, &failed, &active); err != nil {
			b.Fatal(err)
		}
		if failed > 0 {
			b.Fatalf("%d runs failed", failed)
		}
		if (conns > 0 && synced >= conns) || (conns == 0 && active == 0) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after %v: %d connections synced (want %d), %d runs active", limit, synced, conns, active)
		}
		time.Sleep(time.Second)
	}
}

// waitQueued waits until at most n runs are queued.
func waitQueued(b *testing.B, d *db.DB, n int, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for {
		var queued int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM sync_runs WHERE state IN ('QUEUED', 'RUNNING') AND state = 'QUEUED'`).Scan(&queued); err != nil {
			b.Fatal(err)
		}
		if queued <= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after %v: %d runs still queued", limit, queued)
		}
		time.Sleep(time.Second)
	}
}

// addHistory adds n finished runs to each connection, ended in the past
// hours (inside the retention), as a connection's history would be.
func addHistory(b *testing.B, d *db.DB, n int) {
	b.Helper()
	start := time.Now()
	now := db.Micros(time.Now())
	if _, err := d.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $1)
		INSERT INTO sync_runs (id, connection_id, account_id, mode, collections, state, seen, create_time, start_time, end_time)
		SELECT 'run_past_' || s.connection_id || '_' || k.i, s.connection_id, s.account_id, 'INCREMENTAL', s.available, 'SUCCEEDED', 0,
		       CAST($2 AS BIGINT) - k.i * CAST($3 AS BIGINT), CAST($2 AS BIGINT) - k.i * CAST($3 AS BIGINT), CAST($2 AS BIGINT) - k.i * CAST($3 AS BIGINT) + 1000
		FROM sync_schedules s CROSS JOIN k`, n, now, (15 * time.Minute).Microseconds()); err != nil {
		b.Fatal(err)
	}
	if d.Dialect == db.Postgres {
		if _, err := d.ExecContext(ctx, `ANALYZE sync_runs`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("added %d finished runs per connection in %v", n, time.Since(start).Round(time.Second))
}

// measureIdle measures the process's CPU time over the window, and the
// runs that finished in it.
func measureIdle(b *testing.B, d *db.DB) {
	b.Helper()
	b.ResetTimer()
	startCPU, start := cpuTime(b), time.Now()
	time.Sleep(*idleWindow)
	cpu, wall := cpuTime(b)-startCPU, time.Since(start)
	b.StopTimer()
	var runs, failed int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(CASE WHEN state = 'SUCCEEDED' THEN 1 END), COUNT(CASE WHEN state = 'FAILED' THEN 1 END)
		FROM sync_runs WHERE end_time >= $1 AND end_time < $2`, db.Micros(start), db.Micros(start.Add(wall))).Scan(&runs, &failed); err != nil {
		b.Fatal(err)
	}
	if failed > 0 {
		b.Fatalf("%d runs failed in the window", failed)
	}
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%-of-core")
	b.ReportMetric(float64(runs)/wall.Seconds(), "runs/s")
	if runs > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(runs), "cpu-ms/run")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
