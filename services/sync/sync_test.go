package sync_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
	syncsvc "github.com/millwright-dev/millwright/services/sync"
	"github.com/millwright-dev/millwright/services/sync/internal/engine"
)

var ctx = context.Background()

func scheduleConn(t *testing.T, r *replica, conn string, collections ...string) {
	t.Helper()
	if _, err := r.internal.ScheduleConnection(ctx, &syncv1.ScheduleConnectionRequest{Connection: conn, Account: "acct_1", System: "maintainx", Collections: collections}); err != nil {
		t.Fatal(err)
	}
}

func listRuns(t *testing.T, r *replica, conn string) []*syncv1.SyncRun {
	t.Helper()
	var out []*syncv1.SyncRun
	token := ""
	for {
		resp, err := r.public.ListSyncRuns(ctx, &syncv1.ListSyncRunsRequest{Connection: conn, PageToken: token, PageSize: 200})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.GetSyncRuns()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

func terminal(r *syncv1.SyncRun) bool {
	s := r.GetState()
	return s == syncv1.SyncRun_SUCCEEDED || s == syncv1.SyncRun_FAILED || s == syncv1.SyncRun_CANCELLED
}

// waitRuns waits until the connection has n runs, all finished, and
// returns them newest first.
func waitRuns(t *testing.T, r *replica, conn string, n int) []*syncv1.SyncRun {
	t.Helper()
	var runs []*syncv1.SyncRun
	eventually(t, fmt.Sprintf("%d finished runs of %s", n, conn), func() bool {
		runs = listRuns(t, r, conn)
		return len(runs) == n && !slices.ContainsFunc(runs, func(r *syncv1.SyncRun) bool { return !terminal(r) })
	})
	return runs
}

func syncStatus(t *testing.T, r *replica, conn string) *syncv1.GetSyncStatusResponse {
	t.Helper()
	st, err := r.public.GetSyncStatus(ctx, &syncv1.GetSyncStatusRequest{Connection: conn})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func reasonOf(err error) apierr.Reason {
	r, _ := apierr.FromStatus(status.Convert(err))
	return r
}

func badFields(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func tokens(calls []*entityv1.PullChangesRequest) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.GetCollection()+"|"+c.GetCursor()+"|"+c.GetPageToken())
	}
	return out
}

func ofRun(calls []*entityv1.PullChangesRequest, run string) []*entityv1.PullChangesRequest {
	var out []*entityv1.PullChangesRequest
	for _, c := range calls {
		if c.GetRun() == run {
			out = append(out, c)
		}
	}
	return out
}

// The first run of each collection is a full pull within the history
// window, its progress committed after every call (the fake entity service
// returns one page a call); later
// runs are incremental from the cursor the entity service returned.
func TestFirstRunFullThenIncremental(t *testing.T) {
	dbtest.Each(t, syncsvc.Migrations, func(t *testing.T, d *db.DB) {
		f := newFakes(t)
		r := f.replica(t, d, options{})
		const conn = "conn_first"
		window := 30 * 24 * time.Hour
		if _, err := r.public.UpdateSyncSettings(ctx, &syncv1.UpdateSyncSettingsRequest{
			SyncSettings: &syncv1.SyncSettings{Connection: conn, HistoryWindow: durationpb.New(window)},
			UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"history_window"}},
		}); err != nil {
			t.Fatal(err)
		}

		// Each call sees the progress of the pages before it committed.
		var mu sync.Mutex
		var progress []string
		f.entity.setHook(func(_ context.Context, req *entityv1.PullChangesRequest) error {
			done := len(ofRun(f.entity.pulls(conn), req.GetRun())) - 1
			run, err := r.public.GetSyncRun(ctx, &syncv1.GetSyncRunRequest{Connection: conn, Run: req.GetRun()})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				progress = append(progress, err.Error())
			} else if run.GetSyncRun().GetState() != syncv1.SyncRun_RUNNING || run.GetSyncRun().GetCounts().GetSeen() != int64(10*done) {
				progress = append(progress, fmt.Sprintf("before call %d: run %v with %d seen, want RUNNING with %d", done+1,
					run.GetSyncRun().GetState(), run.GetSyncRun().GetCounts().GetSeen(), 10*done))
			}
			return nil
		})

		before := time.Now()
		scheduleConn(t, r, conn, "workOrders", "assets")
		runs := waitRuns(t, r, conn, 1)
		after := time.Now()
		f.entity.setHook(nil)
		mu.Lock()
		if len(progress) > 0 {
			t.Errorf("progress was not committed page by page: %v", progress)
		}
		mu.Unlock()

		first := runs[0]
		// The next scheduled run is at least half an interval after the
		// first, whatever the connection's phase.
		if next := syncStatus(t, r, conn).GetCollections()[0].GetNextRunTime().AsTime(); next.Before(first.GetCreateTime().AsTime().Add(engine.DefaultInterval / 2)) {
			t.Errorf("next run at %v, less than half an interval after the first (%v)", next, first.GetCreateTime().AsTime())
		}
		if first.GetState() != syncv1.SyncRun_SUCCEEDED || first.GetMode() != syncv1.SyncRun_INCREMENTAL || first.GetManual() ||
			!slices.Equal(first.GetCollections(), []string{"workOrders", "assets"}) {
			t.Fatalf("first run = %v", first)
		}
		if c := first.GetCounts(); c.GetSeen() != 60 || c.GetCreated() != 60 || c.GetUpdated() != 0 {
			t.Errorf("first run counts = %v, want 60 seen and created (2 collections x 3 pages x 10)", c)
		}
		if first.GetStartTime() == nil || first.GetEndTime() == nil || first.GetCreateTime() == nil {
			t.Errorf("first run timings = %v %v %v", first.GetCreateTime(), first.GetStartTime(), first.GetEndTime())
		}
		calls := f.entity.pulls(conn)
		want := []string{"workOrders||", "workOrders||workOrders/p1", "workOrders||workOrders/p2", "assets||", "assets||assets/p1", "assets||assets/p2"}
		if got := tokens(calls); !slices.Equal(got, want) {
			t.Fatalf("first run calls = %v, want %v", got, want)
		}
		var since time.Time
		for _, c := range calls {
			if c.GetMaxPages() != engine.PagesPerCall || c.GetRun() != first.GetId() || c.GetReconcile() || c.GetSince() == nil {
				t.Fatalf("call %v: want max_pages %d, the run id, no reconcile, a since", c, engine.PagesPerCall)
			}
			if s := c.GetSince().AsTime(); s.Before(before.Add(-window).Add(-time.Second)) || s.After(after.Add(-window)) {
				t.Fatalf("since = %v, want now - 30 days", s)
			}
			if since.IsZero() {
				since = c.GetSince().AsTime()
			}
		}

		eventually(t, "sync.completed", func() bool { return len(f.connections.eventsOf(conn)) == 1 })
		events := f.connections.eventsOf(conn)
		if len(events) != 1 || events[0].GetType() != "sync.completed" || events[0].GetDedupeKey() != "sync|"+first.GetId()+"|SUCCEEDED" {
			t.Fatalf("events = %v", events)
		}
		data := eventData(events[0])
		if data["run"] != first.GetId() || data["mode"] != "INCREMENTAL" || data["counts"].(map[string]any)["seen"] != float64(60) {
			t.Fatalf("sync.completed data = %v", data)
		}
		if reps := f.connections.reportsOf(conn); len(reps) != 0 {
			t.Fatalf("a healthy connection was reported: %v", reps)
		}

		// The next runs are incremental from the returned cursors.
		for i := 2; i <= 3; i++ {
			n := len(f.entity.pulls(conn))
			if _, err := r.internal.Nudge(ctx, &syncv1.NudgeRequest{Connection: conn}); err != nil {
				t.Fatal(err)
			}
			runs = waitRuns(t, r, conn, i)
			calls = f.entity.pulls(conn)[n:]
			want := []string{fmt.Sprintf("workOrders|workOrders@%d|", i-1), fmt.Sprintf("assets|assets@%d|", i-1)}
			if got := tokens(calls); !slices.Equal(got, want) {
				t.Fatalf("run %d calls = %v, want %v", i, got, want)
			}
			for _, c := range calls {
				if c.GetSince() != nil {
					t.Fatalf("an incremental pull with a cursor sent since %v", c.GetSince())
				}
			}
			if c := runs[0].GetCounts(); runs[0].GetState() != syncv1.SyncRun_SUCCEEDED || c.GetSeen() != 4 || c.GetUpdated() != 4 {
				t.Fatalf("run %d = %v", i, runs[0])
			}
		}
		// GetSyncRun matches the list.
		got, err := r.public.GetSyncRun(ctx, &syncv1.GetSyncRunRequest{Connection: conn, Run: first.GetId()})
		if err != nil || got.GetSyncRun().GetCounts().GetSeen() != 60 {
			t.Fatalf("GetSyncRun = %v, %v", got, err)
		}
		if _, err := r.public.GetSyncRun(ctx, &syncv1.GetSyncRunRequest{Connection: conn, Run: "run_missing"}); reasonOf(err) != apierr.NotFound {
			t.Fatalf("GetSyncRun of an unknown run: %v", err)
		}
	})
}

// While the system is down, runs fail with its reason, the connection is
// reported UNREACHABLE, and retries back off 30 s, 60 s, ... up to 1 h; the
// first success reports REACHABLE once and the normal schedule resumes.
func TestBackoffAndRecovery(t *testing.T) {
	f := newFakes(t)
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{clock: clk})
	const conn = "conn_down"
	var mu sync.Mutex
	down := true
	f.entity.setHook(func(context.Context, *entityv1.PullChangesRequest) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return apierr.New(apierr.ConnectedSystemUnavailable, "MaintainX did not answer").WithRetryAfter(30 * time.Second)
		}
		return nil
	})
	scheduleConn(t, r, conn, "workOrders")

	wantCeilings := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, ceiling := range wantCeilings {
		runs := waitRuns(t, r, conn, i+1)
		failed := runs[0]
		if failed.GetState() != syncv1.SyncRun_FAILED || failed.GetErrorReason() != "CONNECTED_SYSTEM_UNAVAILABLE" || failed.GetError() != "MaintainX did not answer" {
			t.Fatalf("run %d = %v", i+1, failed)
		}
		now := clk.Now()
		st := syncStatus(t, r, conn).GetCollections()[0]
		if st.GetConsecutiveFailures() != int32(i+1) || !st.GetBackoffUntil().AsTime().Equal(now.Add(ceiling)) || !st.GetNextRunTime().AsTime().Equal(now.Add(ceiling)) {
			t.Fatalf("after failure %d: failures %d, backoff until %v, next run %v; want %d and now+%v",
				i+1, st.GetConsecutiveFailures(), st.GetBackoffUntil().AsTime(), st.GetNextRunTime().AsTime(), i+1, ceiling)
		}
		if st.GetLastError() != "MaintainX did not answer" || !st.GetLastErrorTime().AsTime().Equal(now) {
			t.Fatalf("last error = %q at %v", st.GetLastError(), st.GetLastErrorTime().AsTime())
		}
		eventually(t, "the UNREACHABLE report", func() bool { return len(f.connections.reportsOf(conn)) == i+1 })
		rep := f.connections.reportsOf(conn)[i]
		if rep.GetOutcome() != connectionv1.ReportConnectivityRequest_UNREACHABLE || rep.GetReason() == "" {
			t.Fatalf("report %d = %v", i+1, rep)
		}
		// Nothing runs before the backoff ends.
		clk.Set(now.Add(ceiling - time.Second))
		time.Sleep(50 * time.Millisecond)
		if n := len(listRuns(t, r, conn)); n != i+1 {
			t.Fatalf("a run started %v into a %v backoff", ceiling-time.Second, ceiling)
		}
		clk.Set(now.Add(ceiling))
		if i == len(wantCeilings)-1 {
			mu.Lock()
			down = false
			mu.Unlock()
		}
	}
	runs := waitRuns(t, r, conn, len(wantCeilings)+1)
	if runs[0].GetState() != syncv1.SyncRun_SUCCEEDED {
		t.Fatalf("the run after recovery = %v", runs[0])
	}
	recovered := clk.Now()
	st := syncStatus(t, r, conn).GetCollections()[0]
	// The normal schedule resumes: the next run is at the connection's next
	// slot, within 15 minutes.
	if st.GetConsecutiveFailures() != 0 || st.GetBackoffUntil() != nil || !st.GetNextRunTime().AsTime().Equal(engine.NextSlot(conn, recovered, 15*time.Minute)) ||
		st.GetLastError() != "" || !st.GetLastSuccessTime().AsTime().Equal(recovered) {
		t.Fatalf("status after recovery = %v; want no failures, no backoff, the next run at the slot within 15 minutes", st)
	}
	// One more run on the normal schedule: REACHABLE was reported once.
	clk.Set(recovered.Add(15 * time.Minute))
	waitRuns(t, r, conn, len(wantCeilings)+2)
	eventually(t, "the REACHABLE report", func() bool { return len(f.connections.reportsOf(conn)) == len(wantCeilings)+1 })
	time.Sleep(50 * time.Millisecond)
	reps := f.connections.reportsOf(conn)
	reachable := 0
	for _, rep := range reps {
		if rep.GetOutcome() == connectionv1.ReportConnectivityRequest_REACHABLE {
			reachable++
		}
	}
	if reachable != 1 || reps[len(reps)-1].GetOutcome() != connectionv1.ReportConnectivityRequest_REACHABLE {
		t.Fatalf("reports = %v; want REACHABLE once, last", reps)
	}
	eventually(t, "every run's event", func() bool { return len(f.connections.eventsOf(conn)) == len(wantCeilings)+2 })
	events := f.connections.eventsOf(conn)
	failed := 0
	for _, e := range events {
		if e.GetType() == "sync.failed" {
			failed++
			if eventData(e)["reason"] != "CONNECTED_SYSTEM_UNAVAILABLE" {
				t.Fatalf("sync.failed data = %v", eventData(e))
			}
		}
	}
	if failed != len(wantCeilings) || len(events) != len(wantCeilings)+2 {
		t.Fatalf("%d events, %d sync.failed; want %d sync.failed and 2 sync.completed", len(events), failed, len(wantCeilings))
	}

	// Nudge resets a backoff: the next run starts at once, and the backoff
	// starts over from 30 s.
	mu.Lock()
	down = true
	mu.Unlock()
	for i := range 2 {
		if _, err := r.internal.Nudge(ctx, &syncv1.NudgeRequest{Connection: conn}); err != nil {
			t.Fatal(err)
		}
		waitRuns(t, r, conn, len(wantCeilings)+3+i)
		st = syncStatus(t, r, conn).GetCollections()[0]
		if st.GetConsecutiveFailures() != 1 || !st.GetBackoffUntil().AsTime().Equal(clk.Now().Add(30*time.Second)) {
			t.Fatalf("after Nudge %d and a failure: %v", i+1, st)
		}
	}
	if _, err := r.internal.Nudge(ctx, &syncv1.NudgeRequest{Connection: "conn_unknown"}); reasonOf(err) != apierr.NotFound {
		t.Fatalf("Nudge of an unknown connection: %v", err)
	}
}

// A rate limit is no failure: the worker waits the RetryInfo delay and asks
// for the same page again.
func TestRateLimitWaitsAndContinues(t *testing.T) {
	f := newFakes(t)
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{})
	const conn = "conn_429"
	var mu sync.Mutex
	limited := 0
	var limitedAt, retriedAt time.Time
	f.entity.setHook(func(_ context.Context, req *entityv1.PullChangesRequest) error {
		mu.Lock()
		defer mu.Unlock()
		if req.GetPageToken() == "workOrders/p1" {
			if limited < 2 {
				limited++
				limitedAt = time.Now()
				return apierr.New(apierr.ConnectedSystemRateLimited, "slow down").WithRetryAfter(150 * time.Millisecond)
			}
			retriedAt = time.Now()
		}
		return nil
	})
	scheduleConn(t, r, conn, "workOrders")
	runs := waitRuns(t, r, conn, 1)
	if runs[0].GetState() != syncv1.SyncRun_SUCCEEDED || runs[0].GetCounts().GetSeen() != 30 {
		t.Fatalf("run = %v, want SUCCEEDED with the 3 pages", runs[0])
	}
	want := []string{"workOrders||", "workOrders||workOrders/p1", "workOrders||workOrders/p1", "workOrders||workOrders/p1", "workOrders||workOrders/p2"}
	if got := tokens(f.entity.pulls(conn)); !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	mu.Lock()
	if wait := retriedAt.Sub(limitedAt); wait < 150*time.Millisecond {
		t.Errorf("retried %v after the rate limit, want at least 150ms", wait)
	}
	mu.Unlock()
	if st := syncStatus(t, r, conn).GetCollections()[0]; st.GetConsecutiveFailures() != 0 || st.GetBackoffUntil() != nil {
		t.Fatalf("a rate limit counted as a failure: %v", st)
	}
	if reps := f.connections.reportsOf(conn); len(reps) != 0 {
		t.Fatalf("a rate limit was reported: %v", reps)
	}
}

// Rejected credentials fail the run, report AUTH_FAILED and retry hourly; a
// disconnected connection cancels the run and stops the schedule.
func TestAuthFailedAndDisconnected(t *testing.T) {
	f := newFakes(t)
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{clock: clk})
	f.entity.setHook(func(_ context.Context, req *entityv1.PullChangesRequest) error {
		switch req.GetConnection() {
		case "conn_auth":
			return apierr.New(apierr.ConnectedSystemAuthFailed, "MaintainX rejected the API key")
		case "conn_gone":
			return apierr.New(apierr.ConnectionDisconnected, "connection conn_gone is disconnected")
		}
		return nil
	})
	scheduleConn(t, r, "conn_auth", "workOrders")
	runs := waitRuns(t, r, "conn_auth", 1)
	if runs[0].GetState() != syncv1.SyncRun_FAILED || runs[0].GetErrorReason() != "CONNECTED_SYSTEM_AUTH_FAILED" {
		t.Fatalf("run = %v", runs[0])
	}
	st := syncStatus(t, r, "conn_auth").GetCollections()[0]
	if hour := clk.Now().Add(time.Hour); !st.GetBackoffUntil().AsTime().Equal(hour) || !st.GetNextRunTime().AsTime().Equal(hour) {
		t.Fatalf("after AUTH_FAILED: backoff until %v, next run %v; want in an hour", st.GetBackoffUntil().AsTime(), st.GetNextRunTime().AsTime())
	}
	eventually(t, "the AUTH_FAILED report", func() bool { return len(f.connections.reportsOf("conn_auth")) == 1 })
	if rep := f.connections.reportsOf("conn_auth")[0]; rep.GetOutcome() != connectionv1.ReportConnectivityRequest_AUTH_FAILED {
		t.Fatalf("report = %v", rep)
	}
	// A second failure still waits an hour, not an exponential backoff.
	clk.Set(clk.Now().Add(time.Hour))
	waitRuns(t, r, "conn_auth", 2)
	if st := syncStatus(t, r, "conn_auth").GetCollections()[0]; !st.GetBackoffUntil().AsTime().Equal(clk.Now().Add(time.Hour)) || st.GetConsecutiveFailures() != 2 {
		t.Fatalf("after a second AUTH_FAILED: %v", st)
	}

	scheduleConn(t, r, "conn_gone", "workOrders")
	runs = waitRuns(t, r, "conn_gone", 1)
	if runs[0].GetState() != syncv1.SyncRun_CANCELLED || runs[0].GetErrorReason() != "CONNECTION_DISCONNECTED" {
		t.Fatalf("run of a disconnected connection = %v", runs[0])
	}
	if st := syncStatus(t, r, "conn_gone").GetCollections()[0]; st.GetNextRunTime() != nil {
		t.Fatalf("a disconnected connection is still scheduled: %v", st)
	}
	if reps := f.connections.reportsOf("conn_gone"); len(reps) != 0 {
		t.Fatalf("reports = %v", reps)
	}
	time.Sleep(50 * time.Millisecond)
	if evs := f.connections.eventsOf("conn_gone"); len(evs) != 0 {
		t.Fatalf("a cancelled run recorded %v", evs)
	}
}

// StopConnection returns only after the PullChanges call in flight
// returned, and no call starts after it.
func TestStopConnectionWaitsForTheCallInFlight(t *testing.T) {
	f := newFakes(t)
	d := dbtest.SQLite(t, syncsvc.Migrations)
	r := f.replica(t, d, options{})
	const conn = "conn_stop"
	entered := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var returnedAt time.Time
	f.entity.setHook(func(_ context.Context, req *entityv1.PullChangesRequest) error {
		if req.GetPageToken() != "workOrders/p1" {
			return nil
		}
		close(entered)
		<-release
		mu.Lock()
		returnedAt = time.Now()
		mu.Unlock()
		return nil
	})
	scheduleConn(t, r, conn, "workOrders", "assets")
	<-entered

	type stopResult struct {
		resp *syncv1.StopConnectionResponse
		err  error
		at   time.Time
	}
	stopped := make(chan stopResult, 1)
	go func() {
		resp, err := r.internal.StopConnection(ctx, &syncv1.StopConnectionRequest{Connection: conn})
		stopped <- stopResult{resp, err, time.Now()}
	}()
	select {
	case res := <-stopped:
		t.Fatalf("StopConnection returned while a PullChanges call was in flight: %v", res)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	res := <-stopped
	if res.err != nil || res.resp.GetCancelled() != 1 {
		t.Fatalf("StopConnection = %v, %v; want 1 run cancelled", res.resp, res.err)
	}
	mu.Lock()
	if res.at.Before(returnedAt) {
		t.Fatalf("StopConnection returned at %v, before the call in flight returned at %v", res.at, returnedAt)
	}
	mu.Unlock()
	calls := len(f.entity.pulls(conn))
	runs := listRuns(t, r, conn)
	if len(runs) != 1 || runs[0].GetState() != syncv1.SyncRun_CANCELLED {
		t.Fatalf("runs after StopConnection = %v", runs)
	}
	// Nothing is called again, even when nudged or asked.
	if _, err := r.internal.Nudge(ctx, &syncv1.NudgeRequest{Connection: conn}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.public.RunSync(ctx, &syncv1.RunSyncRequest{Connection: conn}); reasonOf(err) != apierr.ConnectionDisconnected {
		t.Fatalf("RunSync after StopConnection: %v, want CONNECTION_DISCONNECTED", err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(f.entity.pulls(conn)); n != calls {
		t.Fatalf("%d PullChanges calls after StopConnection returned", n-calls)
	}
	if calls != 2 {
		t.Fatalf("%d calls before the stop, want 2 (the in-flight one was the last)", calls)
	}
	// Stopping again is idempotent.
	if resp, err := r.internal.StopConnection(ctx, &syncv1.StopConnectionRequest{Connection: conn}); err != nil || resp.GetCancelled() != 0 {
		t.Fatalf("second StopConnection = %v, %v", resp, err)
	}
	// Users cannot call the internal API.
	userInternal := syncv1.NewSyncInternalServiceClient(dial(t, r.addr, goodKey))
	if _, err := userInternal.StopConnection(ctx, &syncv1.StopConnectionRequest{Connection: conn}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("StopConnection with an account key: %v", err)
	}
}

func TestSettings(t *testing.T) {
	f := newFakes(t)
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{noWorker: true})
	const conn = "conn_settings"
	scheduleConn(t, r, conn, "workOrders", "assets", "vendors")

	got, err := r.public.GetSyncSettings(ctx, &syncv1.GetSyncSettingsRequest{Connection: conn})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.GetSyncSettings(); s.GetConnection() != conn || s.GetInterval().AsDuration() != 15*time.Minute || len(s.GetCollections()) != 0 || s.GetHistoryWindow() != nil {
		t.Fatalf("default settings = %v", s)
	}

	update := func(s *syncv1.SyncSettings, paths ...string) (*syncv1.SyncSettings, error) {
		s.Connection = conn
		req := &syncv1.UpdateSyncSettingsRequest{SyncSettings: s}
		if paths != nil {
			req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
		}
		resp, err := r.public.UpdateSyncSettings(ctx, req)
		return resp.GetSyncSettings(), err
	}
	for _, tc := range []struct {
		name  string
		in    *syncv1.SyncSettings
		paths []string
		field string
	}{
		{"interval under a minute", &syncv1.SyncSettings{Interval: durationpb.New(59 * time.Second)}, []string{"interval"}, "sync_settings.interval"},
		{"interval over a day", &syncv1.SyncSettings{Interval: durationpb.New(25 * time.Hour)}, nil, "sync_settings.interval"},
		{"negative history", &syncv1.SyncSettings{HistoryWindow: durationpb.New(-time.Hour)}, nil, "sync_settings.history_window"},
		{"unknown collection", &syncv1.SyncSettings{Collections: []string{"workOrders", "spaceships"}}, nil, "sync_settings.collections"},
		{"collection the system cannot list", &syncv1.SyncSettings{Collections: []string{"users"}}, []string{"collections"}, "sync_settings.collections"},
		{"unknown mask path", &syncv1.SyncSettings{}, []string{"color"}, "update_mask"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.in, tc.paths...)
			if reasonOf(err) != apierr.InvalidArgument || !slices.Equal(badFields(err), []string{tc.field}) {
				t.Fatalf("got %v (fields %v), want INVALID_ARGUMENT naming %s", err, badFields(err), tc.field)
			}
		})
	}

	s, err := update(&syncv1.SyncSettings{Interval: durationpb.New(time.Minute), Collections: []string{"assets", "workOrders", "assets"}, HistoryWindow: durationpb.New(90 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if s.GetInterval().AsDuration() != time.Minute || !slices.Equal(s.GetCollections(), []string{"assets", "workOrders"}) || s.GetHistoryWindow().AsDuration() != 90*24*time.Hour {
		t.Fatalf("updated settings = %v", s)
	}
	// The mask limits what changes; a masked field left unset goes back to
	// its default.
	s, err = update(&syncv1.SyncSettings{Interval: durationpb.New(24 * time.Hour), Collections: []string{"vendors"}}, "interval", "history_window")
	if err != nil {
		t.Fatal(err)
	}
	if s.GetInterval().AsDuration() != 24*time.Hour || !slices.Equal(s.GetCollections(), []string{"assets", "workOrders"}) || s.GetHistoryWindow() != nil {
		t.Fatalf("masked update = %v", s)
	}
	got, _ = r.public.GetSyncSettings(ctx, &syncv1.GetSyncSettingsRequest{Connection: conn})
	if got.GetSyncSettings().GetInterval().AsDuration() != 24*time.Hour {
		t.Fatalf("stored settings = %v", got.GetSyncSettings())
	}
	// The status lists the chosen collections.
	var cols []string
	for _, c := range syncStatus(t, r, conn).GetCollections() {
		cols = append(cols, c.GetCollection())
	}
	if !slices.Equal(cols, []string{"assets", "workOrders"}) {
		t.Fatalf("status collections = %v", cols)
	}

	t.Run("auth", func(t *testing.T) {
		own := syncv1.NewSyncServiceClient(dial(t, r.addr, tokenOf(conn)))
		if _, err := own.UpdateSyncSettings(ctx, &syncv1.UpdateSyncSettingsRequest{SyncSettings: &syncv1.SyncSettings{Connection: conn, Interval: durationpb.New(time.Hour)}}); err != nil {
			t.Fatalf("the connection's own token: %v", err)
		}
		if _, err := own.GetSyncStatus(ctx, &syncv1.GetSyncStatusRequest{Connection: conn}); err != nil {
			t.Fatalf("the connection's own token: %v", err)
		}
		for name, cred := range map[string]string{"another connection's token": tokenOf("conn_other"), "another account's key": otherKey} {
			c := syncv1.NewSyncServiceClient(dial(t, r.addr, cred))
			if _, err := c.UpdateSyncSettings(ctx, &syncv1.UpdateSyncSettingsRequest{SyncSettings: &syncv1.SyncSettings{Connection: conn, Interval: durationpb.New(time.Hour)}}); reasonOf(err) != apierr.PermissionDenied {
				t.Errorf("UpdateSyncSettings with %s: %v, want PERMISSION_DENIED", name, err)
			}
			if _, err := c.GetSyncSettings(ctx, &syncv1.GetSyncSettingsRequest{Connection: conn}); reasonOf(err) != apierr.PermissionDenied {
				t.Errorf("GetSyncSettings with %s: %v, want PERMISSION_DENIED", name, err)
			}
			if _, err := c.RunSync(ctx, &syncv1.RunSyncRequest{Connection: conn}); reasonOf(err) != apierr.PermissionDenied {
				t.Errorf("RunSync with %s: %v, want PERMISSION_DENIED", name, err)
			}
		}
		bad := syncv1.NewSyncServiceClient(dial(t, r.addr, "mw_sk_nonsense"))
		if _, err := bad.GetSyncSettings(ctx, &syncv1.GetSyncSettingsRequest{Connection: conn}); reasonOf(err) != apierr.InvalidToken {
			t.Errorf("an unknown key: %v, want INVALID_TOKEN", err)
		}
		// A disconnected connection's settings stay readable, not writable.
		f.connections.disconnect("conn_settings_gone")
		if _, err := r.public.GetSyncSettings(ctx, &syncv1.GetSyncSettingsRequest{Connection: "conn_settings_gone"}); err != nil {
			t.Errorf("GetSyncSettings of a disconnected connection: %v", err)
		}
		if _, err := r.public.UpdateSyncSettings(ctx, &syncv1.UpdateSyncSettingsRequest{SyncSettings: &syncv1.SyncSettings{Connection: "conn_settings_gone", Interval: durationpb.New(time.Hour)}}); reasonOf(err) != apierr.ConnectionDisconnected {
			t.Errorf("UpdateSyncSettings of a disconnected connection: %v", err)
		}
	})
}

func TestRunSyncIdempotency(t *testing.T) {
	f := newFakes(t)
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{noWorker: true})
	const conn = "conn_manual"
	scheduleConn(t, r, conn, "workOrders", "assets")

	req := &syncv1.RunSyncRequest{Connection: conn, Mode: syncv1.SyncRun_FULL, Collections: []string{"assets"}, RequestId: "req-1"}
	first, err := r.public.RunSync(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	run := first.GetSyncRun()
	if run.GetState() != syncv1.SyncRun_QUEUED || run.GetMode() != syncv1.SyncRun_FULL || !run.GetManual() || !slices.Equal(run.GetCollections(), []string{"assets"}) || run.GetId() == "" {
		t.Fatalf("RunSync = %v", run)
	}
	again, err := r.public.RunSync(ctx, req)
	if err != nil || again.GetSyncRun().GetId() != run.GetId() {
		t.Fatalf("retried RunSync = %v, %v; want run %s", again, err, run.GetId())
	}
	if _, err := r.public.RunSync(ctx, &syncv1.RunSyncRequest{Connection: conn, RequestId: "req-1"}); reasonOf(err) != apierr.RequestIDReused {
		t.Fatalf("request_id reused for another request: %v", err)
	}
	// The Idempotency-Key path (request_id set by the gateway) works the
	// same; without a request_id, each call is a new run.
	other, err := r.public.RunSync(ctx, &syncv1.RunSyncRequest{Connection: conn})
	if err != nil || other.GetSyncRun().GetId() == run.GetId() || other.GetSyncRun().GetMode() != syncv1.SyncRun_INCREMENTAL ||
		!slices.Equal(other.GetSyncRun().GetCollections(), []string{"workOrders", "assets"}) {
		t.Fatalf("RunSync without request_id = %v, %v", other, err)
	}
	if _, err := r.public.RunSync(ctx, &syncv1.RunSyncRequest{Connection: conn, Collections: []string{"spaceships"}}); !slices.Equal(badFields(err), []string{"collections"}) {
		t.Fatalf("RunSync of an unknown collection: %v", err)
	}
	runs := listRuns(t, r, conn)
	if len(runs) != 2 || runs[0].GetId() != other.GetSyncRun().GetId() || runs[1].GetId() != run.GetId() {
		t.Fatalf("runs = %v; want 2, newest first", runs)
	}
	// Pages are opaque and chained.
	p1, err := r.public.ListSyncRuns(ctx, &syncv1.ListSyncRunsRequest{Connection: conn, PageSize: 1})
	if err != nil || len(p1.GetSyncRuns()) != 1 || p1.GetNextPageToken() == "" {
		t.Fatalf("page 1 = %v, %v", p1, err)
	}
	p2, err := r.public.ListSyncRuns(ctx, &syncv1.ListSyncRunsRequest{Connection: conn, PageSize: 1, PageToken: p1.GetNextPageToken()})
	if err != nil || len(p2.GetSyncRuns()) != 1 || p2.GetSyncRuns()[0].GetId() != run.GetId() || p2.GetNextPageToken() != "" {
		t.Fatalf("page 2 = %v, %v", p2, err)
	}
	if _, err := r.public.ListSyncRuns(ctx, &syncv1.ListSyncRunsRequest{Connection: "conn_elsewhere", PageToken: p1.GetNextPageToken()}); !slices.Equal(badFields(err), []string{"page_token"}) {
		t.Fatalf("a page token of another list: %v", err)
	}
	// A connection the connection service never scheduled is scheduled by
	// its first RunSync.
	adopted, err := r.public.RunSync(ctx, &syncv1.RunSyncRequest{Connection: "conn_unscheduled"})
	if err != nil || len(adopted.GetSyncRun().GetCollections()) != 8 {
		t.Fatalf("RunSync of an unscheduled connection = %v, %v", adopted, err)
	}
}

func TestGetSyncStatus(t *testing.T) {
	f := newFakes(t)
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{})
	const conn = "conn_status"
	f.entity.setHook(func(_ context.Context, req *entityv1.PullChangesRequest) error {
		if req.GetCollection() == "assets" {
			return apierr.New(apierr.ConnectedSystemError, "MaintainX answered 502")
		}
		return nil
	})
	scheduleConn(t, r, conn, "workOrders", "assets")
	runs := waitRuns(t, r, conn, 1)
	if runs[0].GetState() != syncv1.SyncRun_FAILED || runs[0].GetErrorReason() != "CONNECTED_SYSTEM_ERROR" || runs[0].GetCounts().GetSeen() != 30 {
		t.Fatalf("run = %v", runs[0])
	}
	st := syncStatus(t, r, conn)
	if st.GetConnection() != conn || len(st.GetCollections()) != 2 {
		t.Fatalf("status = %v", st)
	}
	wo, as := st.GetCollections()[0], st.GetCollections()[1]
	if wo.GetCollection() != "workOrders" || wo.GetLastSuccessTime() == nil || wo.GetLastError() != "" || wo.GetRecordCount() != 42 {
		t.Fatalf("workOrders = %v", wo)
	}
	if as.GetCollection() != "assets" || as.GetLastSuccessTime() != nil || as.GetLastError() != "MaintainX answered 502" || as.GetLastErrorTime() == nil || as.GetRecordCount() != 7 {
		t.Fatalf("assets = %v", as)
	}
	for _, c := range st.GetCollections() {
		if c.GetConsecutiveFailures() != 1 || c.GetBackoffUntil() == nil || c.GetNextRunTime() == nil {
			t.Fatalf("%s: failures %d, backoff %v, next %v", c.GetCollection(), c.GetConsecutiveFailures(), c.GetBackoffUntil(), c.GetNextRunTime())
		}
	}
	eventually(t, "sync.failed", func() bool { return len(f.connections.eventsOf(conn)) == 1 })
	ev := f.connections.eventsOf(conn)[0]
	if data := eventData(ev); ev.GetType() != "sync.failed" || data["reason"] != "CONNECTED_SYSTEM_ERROR" || data["error"] != "MaintainX answered 502" ||
		data["collection"] != "assets" || ev.GetDedupeKey() != "sync|"+runs[0].GetId()+"|FAILED" {
		t.Fatalf("event = %v", ev)
	}
}

// A FULL run lists every collection again with reconcile and no cursor,
// from the start of the collection's history, and reconciles deletions
// after each complete listing; the schedule makes one every
// ReconcileInterval.
func TestReconcile(t *testing.T) {
	f := newFakes(t)
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{clock: clk, reconcile: 2 * time.Hour})
	const conn = "conn_reconcile"
	if _, err := r.public.UpdateSyncSettings(ctx, &syncv1.UpdateSyncSettingsRequest{
		SyncSettings: &syncv1.SyncSettings{Connection: conn, HistoryWindow: durationpb.New(24 * time.Hour), Interval: durationpb.New(time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	scheduleConn(t, r, conn, "workOrders", "assets")
	waitRuns(t, r, conn, 1)
	// An hour later: incremental.
	clk.Set(start.Add(time.Hour))
	runs := waitRuns(t, r, conn, 2)
	if runs[0].GetMode() != syncv1.SyncRun_INCREMENTAL {
		t.Fatalf("run 2 = %v", runs[0])
	}
	n := len(f.entity.pulls(conn))
	// Two hours after the schedule began: the reconciling run.
	clk.Set(start.Add(2 * time.Hour))
	runs = waitRuns(t, r, conn, 3)
	full := runs[0]
	if full.GetMode() != syncv1.SyncRun_FULL || full.GetState() != syncv1.SyncRun_SUCCEEDED || full.GetManual() {
		t.Fatalf("run 3 = %v, want a scheduled FULL run", full)
	}
	if c := full.GetCounts(); c.GetSeen() != 60 || c.GetDeleted() != 6 {
		t.Fatalf("FULL counts = %v, want 60 seen and 6 deleted (3 per collection)", c)
	}
	calls := f.entity.pulls(conn)[n:]
	want := []string{"workOrders||", "workOrders||workOrders/p1", "workOrders||workOrders/p2", "assets||", "assets||assets/p1", "assets||assets/p2"}
	if got := tokens(calls); !slices.Equal(got, want) {
		t.Fatalf("FULL calls = %v, want %v", got, want)
	}
	historyStart := start.Add(-24 * time.Hour)
	for _, c := range calls {
		if !c.GetReconcile() || c.GetRun() != full.GetId() || !c.GetSince().AsTime().Equal(historyStart) {
			t.Fatalf("FULL call %v: want reconcile, the run, since = the first sync's %v", c, historyStart)
		}
	}
	recs := f.entity.reconciles()
	if len(recs) != 2 || recs[0].GetCollection() != "workOrders" || recs[1].GetCollection() != "assets" || recs[0].GetRun() != full.GetId() {
		t.Fatalf("ReconcileDeletions calls = %v", recs)
	}
	// The cursor of the complete listing feeds the next incremental run.
	n = len(f.entity.pulls(conn))
	clk.Set(start.Add(3 * time.Hour))
	waitRuns(t, r, conn, 4)
	if got := tokens(f.entity.pulls(conn)[n:]); !slices.Equal(got, []string{"workOrders|workOrders@3|", "assets|assets@3|"}) {
		t.Fatalf("after the FULL run: %v", got)
	}
}

// Two replicas on one PostgreSQL schema share 20 due connections: every
// run executes once, every page is pulled once.
func TestReplicasShareTheWork(t *testing.T) {
	d1 := dbtest.Postgres(t, syncsvc.Migrations)
	d2 := openSchema(t, d1)
	f := newFakes(t)
	f.entity.delay = 2 * time.Millisecond
	a := f.replica(t, d1, options{id: "replica-a"})
	b := f.replica(t, d2, options{id: "replica-b"})
	const conns = 20
	for i := range conns {
		via := a
		if i%2 == 1 {
			via = b
		}
		scheduleConn(t, via, fmt.Sprintf("conn_%02d", i), "workOrders", "assets")
	}
	for i := range conns {
		conn := fmt.Sprintf("conn_%02d", i)
		runs := waitRuns(t, a, conn, 1)
		if runs[0].GetState() != syncv1.SyncRun_SUCCEEDED || runs[0].GetCounts().GetSeen() != 60 {
			t.Fatalf("%s: %v", conn, runs[0])
		}
	}
	pulled := map[string]int{}
	for _, c := range f.entity.pulls("") {
		pulled[c.GetRun()+"|"+c.GetCollection()+"|"+c.GetPageToken()]++
	}
	if len(pulled) != conns*6 {
		t.Errorf("%d distinct pages pulled, want %d", len(pulled), conns*6)
	}
	for k, n := range pulled {
		if n != 1 {
			t.Errorf("page %s pulled %d times", k, n)
		}
	}
	// Stopping through one replica a run the other executes waits for it.
	entered := make(chan struct{})
	release := make(chan struct{})
	f.entity.setHook(func(_ context.Context, req *entityv1.PullChangesRequest) error {
		if req.GetConnection() == "conn_00" && req.GetPageToken() == "" {
			close(entered)
			<-release
		}
		return nil
	})
	if _, err := a.internal.Nudge(ctx, &syncv1.NudgeRequest{Connection: "conn_00"}); err != nil {
		t.Fatal(err)
	}
	<-entered
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	startStop := time.Now()
	for _, via := range []*replica{a, b} {
		if _, err := via.internal.StopConnection(ctx, &syncv1.StopConnectionRequest{Connection: "conn_00"}); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(startStop) < 200*time.Millisecond {
		t.Fatal("StopConnection returned while the other replica's call was in flight")
	}
	calls := len(f.entity.pulls("conn_00"))
	time.Sleep(100 * time.Millisecond)
	if len(f.entity.pulls("conn_00")) != calls {
		t.Fatal("a call started after StopConnection returned")
	}
}

// A replica killed mid-run: the other claims the run once its lease
// expired and goes on from the last committed page.
func TestCrashedReplicaRunResumes(t *testing.T) {
	d1 := dbtest.Postgres(t, syncsvc.Migrations)
	dA := openSchema(t, d1)
	f := newFakes(t)
	f.entity.pages = 6
	const lease = time.Second
	a := f.replica(t, dA, options{id: "replica-a", lease: lease})
	const conn = "conn_crash"
	entered := make(chan struct{})
	var once sync.Once
	f.entity.setHook(func(ctx context.Context, req *entityv1.PullChangesRequest) error {
		if req.GetPageToken() == "workOrders/p3" {
			first := false
			once.Do(func() { first = true })
			if first {
				close(entered)
				<-ctx.Done() // replica A dies with this call in flight
				return ctx.Err()
			}
		}
		return nil
	})
	scheduleConn(t, a, conn, "workOrders")
	<-entered
	// SIGKILL: replica A can no longer write, and its loop stops without
	// releasing its lease.
	dA.Close()
	a.stop()
	<-a.done
	killed := time.Now()

	b := f.replica(t, d1, options{id: "replica-b", lease: lease})
	runs := waitRuns(t, b, conn, 1)
	run := runs[0]
	if run.GetState() != syncv1.SyncRun_SUCCEEDED {
		t.Fatalf("resumed run = %v", run)
	}
	if waited := time.Since(killed); waited < lease/2 {
		t.Fatalf("replica B resumed after %v, before replica A's lease could expire", waited)
	}
	// Pages 0-2 were committed by A and not pulled again; page 3 was in
	// flight when A died, so B pulled it again — the entity store upserts
	// records by remote id, so pulling a page twice stores nothing twice;
	// pages 4-5 once, by B. The counts are each page's once.
	got := map[string]int{}
	for _, c := range f.entity.pulls(conn) {
		got[c.GetPageToken()]++
	}
	want := map[string]int{"": 1, "workOrders/p1": 1, "workOrders/p2": 1, "workOrders/p3": 2, "workOrders/p4": 1, "workOrders/p5": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("page %q pulled %d times, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if c := run.GetCounts(); c.GetSeen() != 60 || c.GetCreated() != 60 {
		t.Fatalf("counts = %v, want 60: each page counted once", c)
	}
	eventually(t, "one sync.completed", func() bool { return len(f.connections.eventsOf(conn)) == 1 })
	_ = b
}

// A replica shutting down releases its run, which another replica resumes
// at once, from its last committed page, without waiting for the lease.
func TestShutdownReleasesTheRun(t *testing.T) {
	d := dbtest.SQLite(t, syncsvc.Migrations)
	f := newFakes(t)
	f.entity.pages = 4
	a := f.replica(t, d, options{id: "replica-a"})
	const conn = "conn_shutdown"
	entered := make(chan struct{})
	var once sync.Once
	f.entity.setHook(func(ctx context.Context, req *entityv1.PullChangesRequest) error {
		if req.GetPageToken() == "workOrders/p2" {
			first := false
			once.Do(func() { first = true })
			if first {
				close(entered)
				<-ctx.Done()
				return ctx.Err()
			}
		}
		return nil
	})
	scheduleConn(t, a, conn, "workOrders")
	<-entered
	a.stop() // graceful: the default 30 s lease is released, not left to expire
	<-a.done
	stopped := time.Now()
	b := f.replica(t, d, options{id: "replica-b"})
	runs := waitRuns(t, b, conn, 1)
	if waited := time.Since(stopped); waited > 10*time.Second {
		t.Fatalf("replica B resumed after %v: the lease was not released", waited)
	}
	if runs[0].GetState() != syncv1.SyncRun_SUCCEEDED || runs[0].GetCounts().GetSeen() != 40 {
		t.Fatalf("run = %v", runs[0])
	}
	want := []string{"workOrders||", "workOrders||workOrders/p1", "workOrders||workOrders/p2", "workOrders||workOrders/p2", "workOrders||workOrders/p3"}
	if got := tokens(f.entity.pulls(conn)); !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
}

// A run's event is delivered even when the connection service refused it
// at first: it stays in the outbox until a replica delivers it.
func TestEventOutbox(t *testing.T) {
	f := newFakes(t)
	f.connections.failEvents = 1
	r := f.replica(t, dbtest.SQLite(t, syncsvc.Migrations), options{lease: time.Second})
	const conn = "conn_outbox"
	scheduleConn(t, r, conn, "workOrders")
	runs := waitRuns(t, r, conn, 1)
	eventually(t, "the event after a failed delivery", func() bool { return len(f.connections.eventsOf(conn)) == 1 })
	if ev := f.connections.eventsOf(conn)[0]; ev.GetType() != "sync.completed" || ev.GetDedupeKey() != "sync|"+runs[0].GetId()+"|SUCCEEDED" {
		t.Fatalf("event = %v", ev)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(f.connections.eventsOf(conn)); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
}

// openSchema opens another handle on a test database's PostgreSQL schema,
// as another replica would.
func openSchema(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	other, err := db.Open(ctx, db.Options{URL: dbtest.PostgresURL(t), Name: d.Schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}
