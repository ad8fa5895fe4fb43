package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

func TestBackoffCeiling(t *testing.T) {
	for n, want := range map[int]time.Duration{
		0: 30 * time.Second, 1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 4: 4 * time.Minute,
		7: 32 * time.Minute, 8: time.Hour, 9: time.Hour, 1000: time.Hour,
	} {
		if got := BackoffCeiling(n); got != want {
			t.Errorf("BackoffCeiling(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestBackoffFullJitter(t *testing.T) {
	for _, tc := range []struct {
		jitter func(time.Duration) time.Duration
		want   time.Duration
	}{
		{func(c time.Duration) time.Duration { return c }, 4 * time.Minute},
		{func(c time.Duration) time.Duration { return c / 2 }, 2 * time.Minute},
		{func(time.Duration) time.Duration { return 0 }, 0},
		// A jitter source out of range is clamped to [0, ceiling].
		{func(c time.Duration) time.Duration { return 2 * c }, 4 * time.Minute},
		{func(time.Duration) time.Duration { return -time.Second }, 0},
	} {
		if got := Backoff(4, tc.jitter); got != tc.want {
			t.Errorf("Backoff(4) = %v, want %v", got, tc.want)
		}
	}
	// The default source stays within the ceiling.
	e := New(Config{})
	for range 1000 {
		if d := Backoff(3, e.cfg.Jitter); d < 0 || d > 2*time.Minute {
			t.Fatalf("default jitter drew %v for a 2m ceiling", d)
		}
	}
}

func TestRateLimitWait(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0: time.Second, -time.Second: time.Second, 200 * time.Millisecond: 200 * time.Millisecond,
		30 * time.Second: 30 * time.Second, 60 * time.Second: 60 * time.Second, 10 * time.Minute: 60 * time.Second,
	} {
		if got := RateLimitWait(in); got != want {
			t.Errorf("RateLimitWait(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err    error
		kind   kind
		reason apierr.Reason
	}{
		{apierr.New(apierr.ConnectedSystemUnavailable, "down"), kindUnreachable, apierr.ConnectedSystemUnavailable},
		{apierr.New(apierr.ConnectedSystemError, "502"), kindUnreachable, apierr.ConnectedSystemError},
		{apierr.New(apierr.ConnectedSystemAuthFailed, "401"), kindAuthFailed, apierr.ConnectedSystemAuthFailed},
		{apierr.New(apierr.ConnectedSystemRateLimited, "429").WithRetryAfter(5 * time.Second), kindRateLimited, apierr.ConnectedSystemRateLimited},
		{apierr.New(apierr.ConnectionDisconnected, "gone"), kindDisconnected, apierr.ConnectionDisconnected},
		{apierr.New(apierr.ConnectedSystemRejected, "422"), kindOther, apierr.ConnectedSystemRejected},
		{apierr.New(apierr.OperationNotSupported, "no list"), kindOther, apierr.OperationNotSupported},
		{apierr.New(apierr.Internal, "bug"), kindOther, apierr.Internal},
		{status.Error(codes.Unavailable, "connection refused"), kindTransient, apierr.Unavailable},
		{status.Error(codes.DeadlineExceeded, "slow"), kindTransient, apierr.DeadlineExceeded},
		{context.DeadlineExceeded, kindTransient, apierr.DeadlineExceeded},
		{errors.New("boom"), kindOther, apierr.Internal},
	} {
		t.Run(fmt.Sprint(tc.err), func(t *testing.T) {
			// The error crosses gRPC as a status.
			err := tc.err
			var e *apierr.Error
			if errors.As(err, &e) {
				err = e.GRPCStatus().Err()
			}
			f := classify(err)
			if f.kind != tc.kind || f.reason != tc.reason || f.message == "" {
				t.Fatalf("classify = %+v, want kind %d reason %s", f, tc.kind, tc.reason)
			}
		})
	}
	if f := classify(apierr.New(apierr.ConnectedSystemRateLimited, "429").WithRetryAfter(5 * time.Second).GRPCStatus().Err()); f.retryAfter != 5*time.Second {
		t.Fatalf("retry after = %v", f.retryAfter)
	}
}

func TestPlan(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e := New(Config{Jitter: func(c time.Duration) time.Duration { return c }, Reconcile: 24 * time.Hour})
	base := store.Schedule{NextRunTime: now.Add(15 * time.Minute), NextReconcileTime: now.Add(time.Hour), Reported: reachable}
	incremental := store.Run{Mode: store.ModeIncremental}
	fail := func(r apierr.Reason) result {
		return result{state: store.StateFailed, failure: classify(apierr.New(r, "x").GRPCStatus().Err())}
	}

	sc, report := e.plan(incremental, fail(apierr.ConnectedSystemUnavailable), now, 15*time.Minute)(base)
	if report != unreachable || sc.ConsecutiveFailures != 1 || !sc.NextRunTime.Equal(now.Add(30*time.Second)) || sc.Reported != unreachable {
		t.Fatalf("after UNAVAILABLE: %+v %q", sc, report)
	}
	sc, report = e.plan(incremental, fail(apierr.ConnectedSystemError), now, 15*time.Minute)(sc)
	if report != unreachable || sc.ConsecutiveFailures != 2 || !sc.BackoffUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("after a second failure: %+v", sc)
	}
	// Success: back to the normal schedule (a manual run during a long
	// backoff pulls the next run in), REACHABLE reported once.
	sc.NextRunTime = now.Add(time.Hour)
	sc, report = e.plan(incremental, result{state: store.StateSucceeded}, now, 15*time.Minute)(sc)
	if report != reachable || sc.ConsecutiveFailures != 0 || !sc.BackoffUntil.IsZero() || !sc.NextRunTime.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("after success: %+v %q", sc, report)
	}
	if _, report = e.plan(incremental, result{state: store.StateSucceeded}, now, 15*time.Minute)(sc); report != "" {
		t.Fatalf("a second success reported %q", report)
	}
	// Our own side unavailable backs off without a report.
	sc2, report := e.plan(incremental, fail(apierr.Unavailable), now, 15*time.Minute)(base)
	if report != "" || sc2.Reported != reachable || !sc2.NextRunTime.Equal(now.Add(30*time.Second)) {
		t.Fatalf("after our UNAVAILABLE: %+v %q", sc2, report)
	}
	// Other failures keep the schedule.
	sc2, report = e.plan(incremental, fail(apierr.ConnectedSystemRejected), now, 15*time.Minute)(base)
	if report != "" || sc2.ConsecutiveFailures != 1 || !sc2.NextRunTime.Equal(base.NextRunTime) || !sc2.BackoffUntil.IsZero() {
		t.Fatalf("after REJECTED: %+v", sc2)
	}
	// AUTH_FAILED: hourly.
	sc2, report = e.plan(incremental, fail(apierr.ConnectedSystemAuthFailed), now, 15*time.Minute)(base)
	if report != authFailed || !sc2.NextRunTime.Equal(now.Add(time.Hour)) {
		t.Fatalf("after AUTH_FAILED: %+v", sc2)
	}
	// A failed scheduled reconciliation is due again at once; a successful
	// one moves the next a day on.
	full := store.Run{Mode: store.ModeFull}
	if sc2, _ = e.plan(full, fail(apierr.ConnectedSystemUnavailable), now, 15*time.Minute)(base); !sc2.NextReconcileTime.Equal(now) {
		t.Fatalf("after a failed FULL run: %+v", sc2)
	}
	if sc2, _ = e.plan(full, result{state: store.StateSucceeded}, now, 15*time.Minute)(base); !sc2.NextReconcileTime.Equal(now.Add(24 * time.Hour)) {
		t.Fatalf("after a FULL run: %+v", sc2)
	}
	// A disconnected connection stops.
	if sc2, _ = e.plan(incremental, result{state: store.StateCancelled, failure: failure{kind: kindDisconnected}}, now, 15*time.Minute)(base); !sc2.Stopped {
		t.Fatalf("after CONNECTION_DISCONNECTED: %+v", sc2)
	}
}

func TestNextSlot(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const interval = 15 * time.Minute
	next := NextSlot("conn_a", now, interval)
	if !next.After(now) || next.After(now.Add(interval)) {
		t.Fatalf("NextSlot = %v, want within (now, now+%v]", next, interval)
	}
	// Queued late, at its slot, or just before it: the run after is one
	// interval later, and the schedule does not drift.
	for _, late := range []time.Duration{0, time.Second, 5 * time.Minute, interval - time.Microsecond} {
		if got := NextSlot("conn_a", next.Add(late), interval); !got.Equal(next.Add(interval)) {
			t.Errorf("queued %v after its slot: next %v, want %v", late, got, next.Add(interval))
		}
	}
	if got := NextSlot("conn_a", next.Add(-time.Microsecond), interval); !got.Equal(next) {
		t.Errorf("just before its slot: next %v, want %v", got, next)
	}
	// 10,000 connections due at the same moment spread over the interval:
	// each minute gets a fifteenth of them, within 15%.
	perMinute := map[int]int{}
	for i := range 10000 {
		d := NextSlot(fmt.Sprintf("conn_%d", i), now, interval).Sub(now)
		perMinute[int(d/time.Minute)]++
	}
	for m := range 15 {
		if n := perMinute[m]; n < 10000/15*85/100 || n > 10000/15*115/100 {
			t.Errorf("minute %d: %d of 10,000 connections due, want about %d", m, n, 10000/15)
		}
	}
}
