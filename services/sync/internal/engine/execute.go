package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

const (
	// stopGrace is how long a stopped run's call in flight may go on before
	// its context is cancelled: long enough for one page to finish, short
	// enough for StopConnection's wait.
	stopGrace = 8 * time.Second
	// releaseTimeout bounds the writes of a worker that is shutting down.
	releaseTimeout = 5 * time.Second
)

// execution is a run executing on this replica.
type execution struct {
	run   store.Run
	lease store.Lease
	// stop is closed when the run must stop calling the system: it was
	// cancelled, or its lease was lost. The call in flight may finish; after
	// stopGrace, cancel cuts it short.
	stop     chan struct{}
	stopOnce sync.Once
	cancel   context.CancelFunc
}

func (x *execution) requestStop() {
	x.stopOnce.Do(func() {
		close(x.stop)
		time.AfterFunc(stopGrace, x.cancel)
	})
}

func (x *execution) stopping() bool {
	select {
	case <-x.stop:
		return true
	default:
		return false
	}
}

// outcome is how a run's execution ended.
type outcome int

const (
	// finished: the run SUCCEEDED, FAILED or was CANCELLED by the system's
	// answer; it is written with Finish.
	finished outcome = iota
	// stopped: the run was cancelled, or its lease was lost, while it ran;
	// the worker only acknowledges by releasing its lease.
	stopped
	// abandoned: the replica shuts down or cannot write; the worker releases
	// its lease, if it can, for another replica to resume the run.
	abandoned
)

// result is the end of a run's execution.
type result struct {
	outcome outcome
	state   string
	failure failure // of a FAILED or CANCELLED run
	// collection is the collection that failed.
	collection string
	counts     store.Counts
	err        error // of an abandoned run
}

var errStop = errors.New("stop requested")

// execute executes a claimed run to its end, then finishes it, renewing its
// lease meanwhile.
func (e *Engine) execute(parent context.Context, r store.Run) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	x := &execution{run: r, lease: r.Lease(), stop: make(chan struct{}), cancel: cancel}
	e.register(x)
	defer e.unregister(x)

	beat := make(chan struct{})
	var beating sync.WaitGroup
	beating.Add(1)
	go func() {
		defer beating.Done()
		e.heartbeat(ctx, x, beat)
	}()
	res := e.pull(ctx, x)
	close(beat)
	beating.Wait()

	// The run's end is written even when the replica is shutting down.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(parent), releaseTimeout)
	defer wcancel()
	switch res.outcome {
	case finished:
		e.finish(wctx, x, res)
	case stopped:
		e.release(wctx, x)
	case abandoned:
		if parent.Err() == nil {
			e.log.Warn("sync: run abandoned", "run", r.ID, "connection", r.ConnectionID, "error", res.err)
		}
		e.release(wctx, x)
	}
}

func (e *Engine) release(ctx context.Context, x *execution) {
	if err := e.store.Release(ctx, x.lease); err != nil {
		e.log.Warn("sync: release a run's lease", "run", x.run.ID, "error", err)
	}
}

// heartbeat renews the run's lease while the current call lasts; when the
// lease turns out lost (the run was cancelled, or claimed again by another
// replica), the run stops.
func (e *Engine) heartbeat(ctx context.Context, x *execution, done <-chan struct{}) {
	t := time.NewTicker(min(e.cfg.Lease/3, 2*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
		}
		err := e.store.Renew(ctx, x.lease, e.Now().Add(e.cfg.Lease))
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			x.requestStop()
			return
		case err != nil && ctx.Err() == nil:
			e.log.Warn("sync: renew a run's lease", "run", x.run.ID, "error", err)
		}
	}
}

// pull executes the run from its committed progress: each collection is
// pulled up to PagesPerCall pages per PullChanges call, and the progress is
// committed after each call; a reconciling (FULL) run then reconciles the collection's
// deletions.
func (e *Engine) pull(ctx context.Context, x *execution) result {
	r := x.run
	p, counts := r.Progress, r.Counts
	abandon := func(err error) result {
		if errors.Is(err, store.ErrLeaseLost) {
			return result{outcome: stopped}
		}
		return result{outcome: abandoned, err: err}
	}
	states, err := e.store.Collections(ctx, r.ConnectionID)
	if err != nil {
		return abandon(err)
	}
	settings, err := e.store.GetSettings(ctx, r.ConnectionID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return abandon(err)
	}
	full := r.Mode == store.ModeFull
	checkpoint := func(u *store.CollectionUpdate) error {
		return e.store.Checkpoint(ctx, x.lease, store.Checkpoint{Progress: p, Counts: counts, LeaseUntil: e.Now().Add(e.cfg.Lease), Collection: u})
	}
	fail := func(col string, err error) result {
		switch {
		case x.stopping():
			return result{outcome: stopped}
		case ctx.Err() != nil:
			return abandon(ctx.Err())
		}
		f := classify(err)
		state := store.StateFailed
		if f.kind == kindDisconnected {
			state = store.StateCancelled
		}
		return result{outcome: finished, state: state, failure: f, collection: col, counts: counts}
	}

	for p.Position < len(r.Collections) {
		col := r.Collections[p.Position]
		st := states[col]
		if !p.PullStarted {
			p = store.Progress{Position: p.Position, PullStarted: true}
			if !full {
				p.PullCursor = st.Cursor
			}
			if p.PullCursor == "" {
				switch {
				case !st.LastSuccessTime.IsZero():
					p.PullSince = st.HistoryStart
				case settings.HistoryWindow > 0:
					p.PullSince = e.Now().Add(-settings.HistoryWindow)
				}
			}
			// A pull from a cursor needs no checkpoint before its first
			// page: until its last page commits the collection's new
			// cursor, a resumed run starts it again from the same cursor.
			// A pull without one commits its since first, which a resumed
			// run must reuse.
			if p.PullCursor == "" {
				if err := checkpoint(nil); err != nil {
					return abandon(err)
				}
			}
		}
		if !p.Listed {
			resp, err := e.pullPages(ctx, x, col, p, full)
			if err != nil {
				return fail(col, err)
			}
			counts = counts.Add(store.Counts{Seen: resp.GetSeen(), Created: resp.GetCreated(), Updated: resp.GetUpdated(), Deleted: resp.GetDeleted()})
			if resp.GetNextPageToken() != "" {
				p.PageToken = resp.GetNextPageToken()
				if err := checkpoint(nil); err != nil {
					return abandon(err)
				}
				continue
			}
			// The listing is complete: keep the new cursor, and the start of
			// the history the collection's store holds.
			u := &store.CollectionUpdate{Collection: col, SetCursor: true, Cursor: resp.GetCursor(), HistoryStart: st.HistoryStart}
			if u.Cursor == "" {
				u.Cursor = st.Cursor
			}
			if st.LastSuccessTime.IsZero() {
				u.HistoryStart = p.PullSince
			}
			if full {
				p.PageToken, p.Listed = "", true
			} else {
				u.Succeeded = e.Now()
				p = store.Progress{Position: p.Position + 1}
			}
			if err := checkpoint(u); err != nil {
				return abandon(err)
			}
			continue
		}
		if x.stopping() {
			return result{outcome: stopped}
		}
		cctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
		resp, err := e.cfg.Entities.ReconcileDeletions(cctx, &entityv1.ReconcileDeletionsRequest{Connection: r.ConnectionID, Collection: col, Run: r.ID}, e.callOptions()...)
		cancel()
		if err != nil {
			return fail(col, err)
		}
		counts.Deleted += resp.GetDeleted()
		p = store.Progress{Position: p.Position + 1}
		if err := checkpoint(&store.CollectionUpdate{Collection: col, Succeeded: e.Now()}); err != nil {
			return abandon(err)
		}
	}
	return result{outcome: finished, state: store.StateSucceeded, counts: counts}
}

// PagesPerCall is how many pages one PullChanges call may pull. The entity
// service fetches each page while it stores the one before, but the first
// page of a call waits for its fetch, so fewer, longer calls keep the store
// busier; it stops fetching after entity's PullBudget (10 s) whatever this
// allows. A run's progress is committed after each call: a run resumed on
// another replica pulls again at most this many pages, which the store
// finds unchanged (no second event).
const PagesPerCall = 32

// pullPages pulls the next pages (up to PagesPerCall). A rate limit is no
// failure: it waits the delay the system asked for (at most
// maxRateLimitWait) and asks again for the same page, up to a total of
// maxRateLimited per call.
func (e *Engine) pullPages(ctx context.Context, x *execution, col string, p store.Progress, full bool) (*entityv1.PullChangesResponse, error) {
	req := &entityv1.PullChangesRequest{
		Connection: x.run.ConnectionID,
		Collection: col,
		Cursor:     p.PullCursor,
		PageToken:  p.PageToken,
		MaxPages:   PagesPerCall,
		Run:        x.run.ID,
		Reconcile:  full,
	}
	if !p.PullSince.IsZero() {
		req.Since = timestamppb.New(p.PullSince)
	}
	var waited time.Duration
	for {
		if x.stopping() {
			return nil, errStop
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
		resp, err := e.cfg.Entities.PullChanges(cctx, req, e.callOptions()...)
		cancel()
		if err == nil {
			return resp, nil
		}
		f := classify(err)
		if f.kind != kindRateLimited || waited >= maxRateLimited {
			return nil, err
		}
		wait := RateLimitWait(f.retryAfter)
		waited += wait
		select {
		case <-time.After(wait):
		case <-x.stop:
			return nil, errStop
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// callOptions are the options of the calls that reach the connected system
// (through the entity service): one page may take longer than the internal
// clients' default per-attempt timeout, so an attempt gets CallTimeout.
func (e *Engine) callOptions() []grpc.CallOption {
	return []grpc.CallOption{retry.WithPerRetryTimeout(e.cfg.CallTimeout)}
}

// finish writes the end of a finished run and delivers its notification.
func (e *Engine) finish(ctx context.Context, x *execution, res result) {
	now := e.Now()
	f := store.Finish{State: res.state, Counts: res.counts, EndTime: now, NotifyAfter: now.Add(e.cfg.Lease)}
	if res.state != store.StateSucceeded {
		f.Error, f.Reason, f.Collection = res.failure.message, string(res.failure.reason), res.collection
	}
	interval := DefaultInterval
	if st, err := e.store.GetSettings(ctx, x.run.ConnectionID); err == nil {
		interval = st.Interval
	}
	report, err := e.store.Finish(ctx, x.lease, f, e.plan(x.run, res, now, interval))
	if errors.Is(err, store.ErrLeaseLost) {
		// Cancelled meanwhile: acknowledge.
		e.release(ctx, x)
		return
	}
	if err != nil {
		e.log.Error("sync: finish a run", "run", x.run.ID, "error", err)
		return
	}
	r := x.run
	r.State, r.Error, r.ErrorReason, r.ErrorCollection, r.Counts, r.EndTime, r.Report = f.State, f.Error, f.Reason, f.Collection, f.Counts, f.EndTime, report
	e.deliver(ctx, r, false)
}

// DefaultInterval is the interval of scheduled runs when settings say
// nothing else.
const DefaultInterval = 15 * time.Minute
