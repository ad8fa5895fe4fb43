package engine

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// The retry policy; see the package comment.
const (
	// BackoffBase is the backoff ceiling after the first failure.
	BackoffBase = 30 * time.Second
	// BackoffCap caps the backoff ceiling.
	BackoffCap = time.Hour
	// AuthRetry is how often a connection whose credentials the system
	// rejects is retried.
	AuthRetry = time.Hour
	// MaxRateLimitWait caps one wait for a rate-limited page, whatever its
	// RetryInfo asks for.
	MaxRateLimitWait = 60 * time.Second
	// DefaultRateLimitWait is the wait when a rate limit says no delay.
	DefaultRateLimitWait = time.Second
	// maxRateLimited bounds the total wait for one page; past it the run
	// fails with CONNECTED_SYSTEM_RATE_LIMITED and the schedule goes on.
	maxRateLimited = 15 * time.Minute
)

// BackoffCeiling is the longest backoff after n consecutive failures:
// min(BackoffCap, BackoffBase × 2^(n-1)).
func BackoffCeiling(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := BackoffBase
	for i := 1; i < n && d < BackoffCap; i++ {
		d *= 2
	}
	return min(d, BackoffCap)
}

// Backoff is the delay before the next attempt after n consecutive
// failures: jitter drawn in [0, BackoffCeiling(n)] ("full jitter").
func Backoff(n int, jitter func(time.Duration) time.Duration) time.Duration {
	c := BackoffCeiling(n)
	return max(min(jitter(c), c), 0)
}

// RateLimitWait is how long to wait for a rate limit that asked for d.
func RateLimitWait(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultRateLimitWait
	}
	return min(d, MaxRateLimitWait)
}

// kind sorts the failures of a call to the entity service.
type kind int

const (
	// kindOther fails the run; the schedule goes on as normal.
	kindOther kind = iota
	// kindRateLimited is retried after a wait.
	kindRateLimited
	// kindUnreachable fails the run, reports UNREACHABLE, backs off.
	kindUnreachable
	// kindAuthFailed fails the run, reports AUTH_FAILED, retries hourly.
	kindAuthFailed
	// kindDisconnected cancels the run and stops the schedule.
	kindDisconnected
	// kindTransient is our side unavailable: the run fails and backs off,
	// without a report about the connected system.
	kindTransient
)

// failure is a classified error.
type failure struct {
	kind       kind
	reason     apierr.Reason
	message    string
	retryAfter time.Duration
}

// classify reads an error's reason (its ErrorInfo, or its code's default).
func classify(err error) failure {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return failure{kind: kindTransient, reason: apierr.DeadlineExceeded, message: "the entity service did not answer in time"}
	case errors.Is(err, context.Canceled), errors.Is(err, errStop):
		return failure{kind: kindOther, reason: apierr.Cancelled, message: "cancelled"}
	}
	st := status.Convert(err)
	reason, _ := apierr.FromStatus(st)
	f := failure{reason: reason, message: st.Message(), retryAfter: apierr.RetryAfter(st)}
	switch reason {
	case apierr.ConnectedSystemUnavailable, apierr.ConnectedSystemError:
		f.kind = kindUnreachable
	case apierr.ConnectedSystemAuthFailed:
		f.kind = kindAuthFailed
	case apierr.ConnectedSystemRateLimited:
		f.kind = kindRateLimited
	case apierr.ConnectionDisconnected:
		f.kind = kindDisconnected
	case apierr.Unavailable, apierr.DeadlineExceeded:
		f.kind = kindTransient
	}
	if f.message == "" {
		f.message = string(reason)
	}
	return f
}

// Connectivity outcomes reported to the connection service, by name.
const (
	reachable   = "REACHABLE"
	unreachable = "UNREACHABLE"
	authFailed  = "AUTH_FAILED"
)

// plan computes the connection's schedule after a run, and the
// connectivity outcome to report.
func (e *Engine) plan(r store.Run, res result, now time.Time, interval time.Duration) store.Plan {
	return func(sc store.Schedule) (store.Schedule, string) {
		report := ""
		switch {
		case res.state == store.StateSucceeded:
			if !sc.BackoffUntil.IsZero() && sc.NextRunTime.After(now.Add(interval)) {
				// A manual run succeeded during a backoff: back to the
				// normal schedule.
				sc.NextRunTime = now.Add(interval)
			}
			sc.ConsecutiveFailures, sc.BackoffUntil = 0, time.Time{}
			if r.Mode == store.ModeFull {
				sc.NextReconcileTime = now.Add(e.cfg.Reconcile)
			}
			if sc.Reported != reachable {
				report, sc.Reported = reachable, reachable
			}
			return sc, report
		case res.failure.kind == kindDisconnected:
			sc.Stopped = true
			return sc, ""
		}
		sc.ConsecutiveFailures++
		if r.Mode == store.ModeFull && !r.Manual {
			// The reconciliation did not happen: the next run tries again.
			sc.NextReconcileTime = now
		}
		switch res.failure.kind {
		case kindUnreachable:
			report = unreachable
			sc.BackoffUntil = now.Add(Backoff(sc.ConsecutiveFailures, e.cfg.Jitter))
		case kindAuthFailed:
			report = authFailed
			sc.BackoffUntil = now.Add(AuthRetry)
		case kindTransient:
			sc.BackoffUntil = now.Add(Backoff(sc.ConsecutiveFailures, e.cfg.Jitter))
		default:
			return sc, ""
		}
		sc.NextRunTime = sc.BackoffUntil
		if report != "" {
			sc.Reported = report
		}
		return sc, report
	}
}
