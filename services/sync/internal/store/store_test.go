package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func schedule(conn string, next time.Time) store.Schedule {
	return store.Schedule{ConnectionID: conn, AccountID: "acct_1", System: "maintainx", Available: []string{"workOrders", "assets"},
		NextRunTime: next, NextReconcileTime: next.Add(24 * time.Hour), Reported: "REACHABLE", CreateTime: t0, UpdateTime: t0}
}

func defaults(conn string) store.Settings {
	return store.Settings{ConnectionID: conn, AccountID: "acct_1", Interval: 15 * time.Minute, UpdateTime: t0}
}

func run(id, conn string, created time.Time) store.Run {
	return store.Run{ID: id, ConnectionID: conn, AccountID: "acct_1", Mode: store.ModeIncremental, Collections: []string{"workOrders", "assets"}, CreateTime: created}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestConformance runs the same behaviour against SQLite and PostgreSQL.
func TestConformance(t *testing.T) {
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d)

		t.Run("settings", func(t *testing.T) {
			if _, err := s.GetSettings(ctx, "conn_s"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("GetSettings of an unknown connection: %v, want ErrNotFound", err)
			}
			must(t, s.EnsureSchedule(ctx, schedule("conn_s", t0.Add(time.Hour)), defaults("conn_s"), true))
			got, err := s.GetSettings(ctx, "conn_s")
			must(t, err)
			if got.Interval != 15*time.Minute || len(got.Collections) != 0 || got.HistoryWindow != 0 || !got.UpdateTime.Equal(t0) {
				t.Fatalf("default settings = %+v", got)
			}
			want := store.Settings{ConnectionID: "conn_s", AccountID: "acct_1", Interval: 5 * time.Minute, Collections: []string{"assets"},
				HistoryWindow: 30 * 24 * time.Hour, UpdateTime: t0.Add(time.Minute)}
			must(t, s.PutSettings(ctx, want))
			got, err = s.GetSettings(ctx, "conn_s")
			must(t, err)
			if got.Interval != want.Interval || !slices.Equal(got.Collections, want.Collections) || got.HistoryWindow != want.HistoryWindow || !got.UpdateTime.Equal(want.UpdateTime) {
				t.Fatalf("GetSettings = %+v, want %+v", got, want)
			}
			// The shorter interval brought the next run forward.
			sc, err := s.GetSchedule(ctx, "conn_s")
			must(t, err)
			if want := t0.Add(6 * time.Minute); !sc.NextRunTime.Equal(want) {
				t.Fatalf("next run after a shorter interval = %v, want %v", sc.NextRunTime, want)
			}
			// Ensuring again keeps the settings.
			must(t, s.EnsureSchedule(ctx, schedule("conn_s", t0), defaults("conn_s"), true))
			if got, _ := s.GetSettings(ctx, "conn_s"); got.Interval != 5*time.Minute {
				t.Fatalf("EnsureSchedule overwrote settings: %+v", got)
			}
		})

		t.Run("schedules", func(t *testing.T) {
			if _, err := s.GetSchedule(ctx, "conn_a"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("GetSchedule of an unknown connection: %v", err)
			}
			must(t, s.EnsureSchedule(ctx, schedule("conn_a", t0), defaults("conn_a"), true))
			again := schedule("conn_a", t0.Add(time.Hour))
			again.Available = []string{"workOrders"}
			must(t, s.EnsureSchedule(ctx, again, defaults("conn_a"), true))
			sc, err := s.GetSchedule(ctx, "conn_a")
			must(t, err)
			if !sc.NextRunTime.Equal(t0) || !slices.Equal(sc.Available, []string{"workOrders"}) || sc.Stopped || sc.Reported != "REACHABLE" {
				t.Fatalf("schedule after a second EnsureSchedule = %+v (want the first run time kept, the collections refreshed)", sc)
			}

			due, err := s.DueSchedules(ctx, t0, 10)
			must(t, err)
			var a *store.Due
			for i := range due {
				if due[i].Schedule.ConnectionID == "conn_a" {
					a = &due[i]
				}
			}
			if a == nil || a.Settings.Interval != 15*time.Minute {
				t.Fatalf("DueSchedules = %+v, want conn_a with its settings", due)
			}
			ok, err := s.EnqueueScheduled(ctx, a.Schedule, t0.Add(15*time.Minute), a.Schedule.NextReconcileTime, run("run_a1", "conn_a", t0))
			if err != nil || !ok {
				t.Fatalf("EnqueueScheduled = %v, %v", ok, err)
			}
			// A second replica that read the same due schedule loses.
			ok, err = s.EnqueueScheduled(ctx, a.Schedule, t0.Add(15*time.Minute), a.Schedule.NextReconcileTime, run("run_a2", "conn_a", t0))
			if err != nil || ok {
				t.Fatalf("second EnqueueScheduled = %v, %v; want false", ok, err)
			}
			sc, _ = s.GetSchedule(ctx, "conn_a")
			if !sc.NextRunTime.Equal(t0.Add(15 * time.Minute)) {
				t.Fatalf("next run = %v", sc.NextRunTime)
			}
			// Due again, but a run is queued: no second run.
			sc.NextRunTime = t0.Add(15 * time.Minute)
			due, err = s.DueSchedules(ctx, t0.Add(time.Hour), 10)
			must(t, err)
			for _, d := range due {
				if d.Schedule.ConnectionID == "conn_a" {
					t.Fatal("a connection with a queued run is due")
				}
			}
			if ok, _ := s.EnqueueScheduled(ctx, sc, t0.Add(time.Hour), sc.NextReconcileTime, run("run_a3", "conn_a", t0)); ok {
				t.Fatal("EnqueueScheduled queued a second run for a connection with a queued run")
			}

			// Nudge: due now, backoff reset.
			must(t, s.Nudge(ctx, "conn_a", t0.Add(time.Minute)))
			sc, _ = s.GetSchedule(ctx, "conn_a")
			if !sc.NextRunTime.Equal(t0.Add(time.Minute)) || sc.ConsecutiveFailures != 0 || !sc.BackoffUntil.IsZero() {
				t.Fatalf("after Nudge: %+v", sc)
			}
			if err := s.Nudge(ctx, "conn_missing", t0); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Nudge of an unknown connection: %v", err)
			}
		})

		t.Run("runs", func(t *testing.T) {
			if err := s.CreateRun(ctx, run("run_x", "conn_missing", t0)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("CreateRun without a schedule: %v", err)
			}
			must(t, s.EnsureSchedule(ctx, schedule("conn_r", t0.Add(time.Hour)), defaults("conn_r"), true))
			for i := range 5 {
				r := run(fmt.Sprintf("run_r%d", i), "conn_r", t0.Add(time.Duration(i)*time.Second))
				r.Manual = true
				if i == 2 {
					r.RequestID = "req-2"
				}
				must(t, s.CreateRun(ctx, r))
			}
			dup := run("run_r9", "conn_r", t0)
			dup.RequestID = "req-2"
			if err := s.CreateRun(ctx, dup); !db.IsUniqueViolation(err) {
				t.Fatalf("a reused request id: %v, want a unique violation", err)
			}
			got, err := s.RunByRequestID(ctx, "conn_r", "req-2")
			if err != nil || got.ID != "run_r2" || got.State != store.StateQueued || !got.Manual || !slices.Equal(got.Collections, []string{"workOrders", "assets"}) {
				t.Fatalf("RunByRequestID = %+v, %v", got, err)
			}
			if _, err := s.GetRun(ctx, "conn_other", "run_r2"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("GetRun through another connection: %v", err)
			}
			page, err := s.ListRuns(ctx, "conn_r", "", 3)
			must(t, err)
			if ids := runIDs(page); !slices.Equal(ids, []string{"run_r4", "run_r3", "run_r2"}) {
				t.Fatalf("first page = %v", ids)
			}
			page, err = s.ListRuns(ctx, "conn_r", "run_r2", 3)
			must(t, err)
			if ids := runIDs(page); !slices.Equal(ids, []string{"run_r1", "run_r0"}) {
				t.Fatalf("second page = %v", ids)
			}
		})

		t.Run("claim, lease, progress, expiry", func(t *testing.T) {
			must(t, s.EnsureSchedule(ctx, schedule("conn_c", t0.Add(time.Hour)), defaults("conn_c"), true))
			must(t, s.CreateRun(ctx, run("run_c1", "conn_c", t0.Add(-2*time.Hour))))
			must(t, s.CreateRun(ctx, run("run_c2", "conn_c", t0.Add(-time.Hour))))
			now := t0
			r, ok, err := s.Claim(ctx, "replica-a", now, 30*time.Second)
			if err != nil || !ok {
				t.Fatalf("Claim = %v, %v", ok, err)
			}
			if r.ID != "run_c1" || r.State != store.StateRunning || r.LeaseOwner != "replica-a" || r.Attempts != 1 ||
				!r.LeaseExpires.Equal(now.Add(30*time.Second)) || !r.StartTime.Equal(now) {
				t.Fatalf("claimed %+v, want the oldest run leased to replica-a", r)
			}
			// Its connection's next run waits while it runs (other
			// connections' runs from earlier subtests may be claimed).
			for {
				o, ok, err := s.Claim(ctx, "replica-b", now, 30*time.Second)
				must(t, err)
				if !ok {
					break
				}
				if o.ConnectionID == "conn_c" {
					t.Fatalf("claimed %s while run_c1 of the same connection runs", o.ID)
				}
				must(t, cancelRun(ctx, s, o))
			}

			l := r.Lease()
			p := store.Progress{Position: 0, PullStarted: true, PullCursor: "c0", PullSince: t0.Add(-24 * time.Hour), PageToken: "page-2"}
			counts := store.Counts{Seen: 10, Created: 7, Updated: 3}
			must(t, s.Checkpoint(ctx, l, store.Checkpoint{Progress: p, Counts: counts, LeaseUntil: now.Add(40 * time.Second)}))
			must(t, s.Renew(ctx, l, now.Add(50*time.Second)))
			got, err := s.GetRun(ctx, "conn_c", "run_c1")
			must(t, err)
			if got.Progress != p || got.Counts != counts || !got.LeaseExpires.Equal(now.Add(50*time.Second)) {
				t.Fatalf("after checkpoint: progress %+v counts %+v lease %v", got.Progress, got.Counts, got.LeaseExpires)
			}

			// The lease is live: nobody else claims it.
			if o, ok, _ := s.Claim(ctx, "replica-b", now.Add(49*time.Second), 30*time.Second); ok {
				t.Fatalf("claimed %s under a live lease", o.ID)
			}
			// It expires (replica-a died): replica-b claims it with its progress.
			later := now.Add(51 * time.Second)
			r2, ok, err := s.Claim(ctx, "replica-b", later, 30*time.Second)
			if err != nil || !ok || r2.ID != "run_c1" {
				t.Fatalf("claim after expiry = %+v, %v, %v", r2, ok, err)
			}
			if r2.Attempts != 2 || r2.LeaseOwner != "replica-b" || r2.Progress != p || r2.Counts != counts || !r2.StartTime.Equal(now) {
				t.Fatalf("resumed run = %+v", r2)
			}
			// The old worker is fenced off.
			if err := s.Checkpoint(ctx, l, store.Checkpoint{Progress: p, Counts: counts.Add(counts), LeaseUntil: later}); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("checkpoint with an expired, re-claimed lease: %v", err)
			}
			if err := s.Renew(ctx, l, later); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("renew with a re-claimed lease: %v", err)
			}
			if err := s.Release(ctx, l); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.GetRun(ctx, "conn_c", "run_c1"); got.LeaseOwner != "replica-b" {
				t.Fatalf("a stale release cleared the new lease: %+v", got)
			}

			// A completed collection writes its cursor and status with the
			// checkpoint.
			l2 := r2.Lease()
			p2 := store.Progress{Position: 1}
			must(t, s.Checkpoint(ctx, l2, store.Checkpoint{Progress: p2, Counts: counts, LeaseUntil: later.Add(30 * time.Second),
				Collection: &store.CollectionUpdate{Collection: "workOrders", SetCursor: true, Cursor: "c1", HistoryStart: p.PullSince, Succeeded: later}}))
			cols, err := s.Collections(ctx, "conn_c")
			must(t, err)
			if c := cols["workOrders"]; c.Cursor != "c1" || !c.HistoryStart.Equal(p.PullSince) || !c.LastSuccessTime.Equal(later) {
				t.Fatalf("collection state = %+v", c)
			}

			// Finish: failed on assets, backing off.
			plan := func(sc store.Schedule) (store.Schedule, string) {
				sc.ConsecutiveFailures++
				sc.BackoffUntil = later.Add(30 * time.Second)
				sc.NextRunTime = sc.BackoffUntil
				sc.Reported = "UNREACHABLE"
				return sc, "UNREACHABLE"
			}
			end := later.Add(time.Second)
			if _, err := s.Finish(ctx, l, store.Finish{State: store.StateFailed, EndTime: end}, plan); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("Finish with a stale lease: %v", err)
			}
			report, err := s.Finish(ctx, l2, store.Finish{State: store.StateFailed, Error: "down", Reason: "CONNECTED_SYSTEM_UNAVAILABLE",
				Collection: "assets", Counts: counts, EndTime: end, NotifyAfter: end.Add(30 * time.Second)}, plan)
			if err != nil || report != "UNREACHABLE" {
				t.Fatalf("Finish = %q, %v", report, err)
			}
			got, _ = s.GetRun(ctx, "conn_c", "run_c1")
			if got.State != store.StateFailed || got.Error != "down" || got.ErrorReason != "CONNECTED_SYSTEM_UNAVAILABLE" || got.LeaseOwner != "" ||
				!got.EndTime.Equal(end) || !got.NotifyPending || got.Report != "UNREACHABLE" {
				t.Fatalf("finished run = %+v", got)
			}
			sc, _ := s.GetSchedule(ctx, "conn_c")
			if sc.ConsecutiveFailures != 1 || !sc.BackoffUntil.Equal(later.Add(30*time.Second)) || sc.Reported != "UNREACHABLE" {
				t.Fatalf("schedule after failure = %+v", sc)
			}
			cols, _ = s.Collections(ctx, "conn_c")
			if c := cols["assets"]; c.LastError != "down" || !c.LastErrorTime.Equal(end) {
				t.Fatalf("failed collection = %+v", c)
			}
			if last, _ := s.LastReportingRun(ctx, "conn_c"); last != "run_c1" {
				t.Fatalf("LastReportingRun = %q", last)
			}

			// The notification waits for its worker, then is up for others.
			if pend, _ := s.PendingNotifications(ctx, end, 10); len(pend) != 0 {
				t.Fatalf("pending before notify_after: %v", runIDs(pend))
			}
			pend, err := s.PendingNotifications(ctx, end.Add(time.Minute), 10)
			must(t, err)
			if len(pend) != 1 || pend[0].ID != "run_c1" {
				t.Fatalf("pending = %v", runIDs(pend))
			}
			if ok, err := s.ClaimNotification(ctx, pend[0], end.Add(2*time.Minute)); err != nil || !ok {
				t.Fatalf("ClaimNotification = %v, %v", ok, err)
			}
			if ok, _ := s.ClaimNotification(ctx, pend[0], end.Add(2*time.Minute)); ok {
				t.Fatal("a notification was claimed twice")
			}
			must(t, s.Notified(ctx, "run_c1"))
			if pend, _ := s.PendingNotifications(ctx, end.Add(time.Hour), 10); len(pend) != 0 {
				t.Fatalf("pending after delivery: %v", runIDs(pend))
			}

			// Now the connection's second run may go.
			r3, ok, err := s.Claim(ctx, "replica-a", end, 30*time.Second)
			if err != nil || !ok || r3.ID != "run_c2" {
				t.Fatalf("claim after the first run ended = %+v, %v, %v", r3, ok, err)
			}
		})

		t.Run("stop", func(t *testing.T) {
			must(t, s.EnsureSchedule(ctx, schedule("conn_t", t0), defaults("conn_t"), true))
			must(t, s.CreateRun(ctx, run("run_t1", "conn_t", t0.Add(-time.Hour))))
			must(t, s.CreateRun(ctx, run("run_t2", "conn_t", t0.Add(-time.Hour+time.Second))))
			var r store.Run
			for {
				c, ok, err := s.Claim(ctx, "replica-a", t0, 30*time.Second)
				if err != nil || !ok {
					t.Fatalf("claim = %v, %v", ok, err)
				}
				if c.ID == "run_t1" {
					r = c
					break
				}
				must(t, cancelRun(ctx, s, c))
			}
			n, err := s.StopConnection(ctx, "conn_t", t0.Add(time.Second))
			if err != nil || n != 2 {
				t.Fatalf("StopConnection = %d, %v; want 2 runs cancelled", n, err)
			}
			for _, id := range []string{"run_t1", "run_t2"} {
				got, _ := s.GetRun(ctx, "conn_t", id)
				if got.State != store.StateCancelled || got.ErrorReason != "CONNECTION_DISCONNECTED" {
					t.Fatalf("%s after stop = %+v", id, got)
				}
			}
			// The running run's worker still holds its lease until it
			// acknowledges.
			if k, _ := s.Executing(ctx, "conn_t", t0.Add(time.Second)); k != 1 {
				t.Fatalf("Executing = %d, want 1", k)
			}
			if err := s.Renew(ctx, r.Lease(), t0.Add(time.Minute)); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("renewing a cancelled run: %v", err)
			}
			if err := s.Checkpoint(ctx, r.Lease(), store.Checkpoint{LeaseUntil: t0.Add(time.Minute)}); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("checkpoint of a cancelled run: %v", err)
			}
			must(t, s.Release(ctx, r.Lease()))
			if k, _ := s.Executing(ctx, "conn_t", t0.Add(time.Second)); k != 0 {
				t.Fatalf("Executing after release = %d", k)
			}
			// Nothing new starts.
			if err := s.CreateRun(ctx, run("run_t3", "conn_t", t0)); !errors.Is(err, store.ErrStopped) {
				t.Fatalf("CreateRun on a stopped connection: %v", err)
			}
			if due, _ := s.DueSchedules(ctx, t0.Add(time.Hour), 100); slices.ContainsFunc(due, func(d store.Due) bool { return d.Schedule.ConnectionID == "conn_t" }) {
				t.Fatal("a stopped schedule is due")
			}
			must(t, s.Nudge(ctx, "conn_t", t0))
			if sc, _ := s.GetSchedule(ctx, "conn_t"); !sc.Stopped {
				t.Fatal("Nudge restarted a stopped schedule")
			}
			must(t, s.EnsureSchedule(ctx, schedule("conn_t", t0), defaults("conn_t"), true))
			if sc, _ := s.GetSchedule(ctx, "conn_t"); !sc.Stopped {
				t.Fatal("EnsureSchedule restarted a stopped schedule")
			}
			// Stopping again is harmless; stopping an unknown connection
			// leaves a stopped schedule behind.
			if n, err := s.StopConnection(ctx, "conn_t", t0); err != nil || n != 0 {
				t.Fatalf("second StopConnection = %d, %v", n, err)
			}
			if _, err := s.StopConnection(ctx, "conn_never", t0); err != nil {
				t.Fatal(err)
			}
			if sc, err := s.GetSchedule(ctx, "conn_never"); err != nil || !sc.Stopped {
				t.Fatalf("schedule of a connection stopped before it was scheduled = %+v, %v", sc, err)
			}
		})

		t.Run("concurrent claims take each run once", func(t *testing.T) {
			const conns, workers = 30, 6
			for i := range conns {
				conn := fmt.Sprintf("conn_p%02d", i)
				must(t, s.EnsureSchedule(ctx, schedule(conn, t0.Add(time.Hour)), defaults(conn), true))
				must(t, s.CreateRun(ctx, run(fmt.Sprintf("run_p%02d", i), conn, t0.Add(time.Duration(i)*time.Millisecond))))
			}
			var mu sync.Mutex
			claimed := map[string]int{}
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					misses := 0
					for misses < 3 {
						r, ok, err := s.Claim(ctx, fmt.Sprintf("w%d", w), t0, time.Hour)
						if err != nil {
							t.Error(err)
							return
						}
						if !ok {
							misses++
							time.Sleep(5 * time.Millisecond)
							continue
						}
						mu.Lock()
						claimed[r.ID]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			for i := range conns {
				id := fmt.Sprintf("run_p%02d", i)
				if claimed[id] != 1 {
					t.Errorf("%s claimed %d times, want once", id, claimed[id])
				}
			}
		})

		t.Run("orphans", func(t *testing.T) {
			must(t, s.EnsureSchedule(ctx, schedule("conn_o", t0), defaults("conn_o"), true))
			must(t, s.CreateRun(ctx, run("run_o1", "conn_o", t0)))
			// As if the run were queued in the moment StopConnection ran.
			if _, err := d.ExecContext(ctx, `UPDATE sync_schedules SET stopped = 1 WHERE connection_id = 'conn_o'`); err != nil {
				t.Fatal(err)
			}
			for {
				r, ok, err := s.Claim(ctx, "w", t0.Add(time.Hour), time.Minute)
				must(t, err)
				if !ok {
					break
				}
				if r.ConnectionID == "conn_o" {
					t.Fatal("claimed a run of a stopped connection")
				}
			}
			n, err := s.CancelOrphans(ctx, t0)
			if err != nil || n != 1 {
				t.Fatalf("CancelOrphans = %d, %v", n, err)
			}
			if got, _ := s.GetRun(ctx, "conn_o", "run_o1"); got.State != store.StateCancelled {
				t.Fatalf("orphan = %+v", got)
			}
		})

		t.Run("retention", func(t *testing.T) {
			must(t, s.EnsureSchedule(ctx, schedule("conn_keep", t0.Add(time.Hour)), defaults("conn_keep"), true))
			for _, id := range []string{"run_keep1", "run_keep2", "run_keep3", "run_keep4", "run_keep5"} {
				must(t, s.CreateRun(ctx, run(id, "conn_keep", t0.Add(-9*24*time.Hour))))
			}
			// run_keep1 and run_keep2 finished 8 days ago, run_keep2's notification
			// is still pending; run_keep3 finished an hour ago; run_keep4 was
			// cancelled 8 days ago; run_keep5 is still queued.
			finished := func(id, state string, end time.Time, pending int) {
				t.Helper()
				if _, err := d.ExecContext(ctx, `UPDATE sync_runs SET state = $2, end_time = $3, notify_pending = $4 WHERE id = $1`,
					id, state, db.Micros(end), pending); err != nil {
					t.Fatal(err)
				}
			}
			old := t0.Add(-8 * 24 * time.Hour)
			finished("run_keep1", store.StateSucceeded, old, 0)
			finished("run_keep2", store.StateFailed, old, 1)
			finished("run_keep3", store.StateSucceeded, t0.Add(-time.Hour), 0)
			finished("run_keep4", store.StateCancelled, old.Add(time.Second), 0)
			cutoff := t0.Add(-7 * 24 * time.Hour)
			n, err := s.DeleteFinishedRuns(ctx, cutoff, 1)
			if err != nil || n != 1 {
				t.Fatalf("DeleteFinishedRuns(limit 1) = %d, %v; want 1", n, err)
			}
			if _, err := s.GetRun(ctx, "conn_keep", "run_keep1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the oldest finished run was kept: %v", err)
			}
			n, err = s.DeleteFinishedRuns(ctx, cutoff, 100)
			if err != nil || n != 1 {
				t.Fatalf("DeleteFinishedRuns = %d, %v; want 1", n, err)
			}
			runs, err := s.ListRuns(ctx, "conn_keep", "", 10)
			must(t, err)
			if got, want := runIDs(runs), []string{"run_keep5", "run_keep3", "run_keep2"}; !slices.Equal(got, want) {
				t.Fatalf("runs after retention = %v, want %v (recent, undelivered and active runs are kept)", got, want)
			}
		})
	})
}

// cancelRun ends a run some other subtest left queued, to keep it out of
// the way.
func cancelRun(ctx context.Context, s *store.Store, r store.Run) error {
	_, err := s.Finish(ctx, r.Lease(), store.Finish{State: store.StateCancelled, EndTime: t0}, func(sc store.Schedule) (store.Schedule, string) { return sc, "" })
	if errors.Is(err, store.ErrLeaseLost) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.Notified(ctx, r.ID)
}

func runIDs(runs []store.Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}
