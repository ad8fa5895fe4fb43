// Package engine schedules and executes sync runs on every replica of the
// sync service.
//
// # A runs table with leases, not a job queue library
//
// Runs are queued in the service's own sync_runs table, and each replica's
// worker loop claims them by taking a lease: lease_owner (the replica),
// lease_expires, and attempts, the claim's number, which fences off a worker
// whose lease expired. DESIGN.md suggests River; we did not take it because
// on SQLite, our embedded default, River needs a single database connection
// and brings its own migrations and tables, while a run here is one row we
// need anyway (its state, counts and progress are the API's SyncRun). A
// table with leases gives what the queue must give:
//
//   - Exactly-once execution. A claim is one atomic statement: on
//     PostgreSQL an UPDATE of the row chosen by SELECT ... FOR UPDATE SKIP
//     LOCKED, so concurrent replicas take different rows and never wait; on
//     SQLite a single UPDATE ... WHERE id = (SELECT ...) RETURNING, atomic
//     because SQLite serialises writes. A unique index allows one RUNNING
//     run per connection.
//   - Resumption. After every PullChanges call the worker commits the run's
//     page token and counts in the transaction that renews its lease
//     (store.Checkpoint), fenced by owner and attempt. If the replica dies,
//     the lease expires, another replica claims the run (a RUNNING run with
//     an expired lease is claimable) and goes on from the last committed
//     page; counts are never counted twice. Only the page in flight at the
//     crash is pulled again, and the entity store's upsert of it is
//     idempotent.
//   - Scheduling. A due schedule is claimed by moving its next_run_time with
//     a compare-and-set UPDATE, in the transaction that queues its run, and
//     only when the connection has no QUEUED or RUNNING run. The next run
//     time is the connection's next slot (see NextSlot), so that many
//     connections created or due at once spread over their interval.
//   - Retention. Finished runs are deleted Retention (7 days) after they
//     ended; the worker's queries use indexes that hold only active runs, so
//     the history does not slow them.
//
// Leases compare times from the replicas' clocks, which must agree to well
// within a lease (30 s by default; NTP does).
//
// # Failures and backoff
//
// A run that cannot reach the connected system (CONNECTED_SYSTEM_UNAVAILABLE
// or CONNECTED_SYSTEM_ERROR) fails, reports the connection UNREACHABLE, and
// its connection's next run waits, instead of the normal schedule,
//
//	delay(n) = jitter(min(1 h, 30 s × 2^(n-1)))
//
// where n is the connection's consecutive failures (1 after the first) and
// jitter(c) is uniform in [0, c] ("full jitter"). Rejected credentials
// (CONNECTED_SYSTEM_AUTH_FAILED) report AUTH_FAILED and retry hourly. Our own
// services being unavailable backs off the same way without a report. A
// rate limit (CONNECTED_SYSTEM_RATE_LIMITED) is no failure: the worker waits
// its RetryInfo delay, at most 60 s, and asks for the same page again. The
// first success after a failure reports REACHABLE and the normal schedule
// resumes.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/fnv"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// Defaults of Config.
const (
	DefaultPoll        = time.Second
	DefaultLease       = 30 * time.Second
	DefaultConcurrency = 4
	DefaultReconcile   = 24 * time.Hour
	DefaultRetention   = 7 * 24 * time.Hour
	DefaultCallTimeout = 2 * time.Minute
	// DefaultStopWait is how long StopConnection waits for the workers
	// executing the connection's runs to stop.
	DefaultStopWait = 10 * time.Second
	// stopMargin is how long before the caller's deadline StopConnection
	// stops waiting.
	stopMargin = 500 * time.Millisecond
	// housekeepEvery is how often the worker cancels orphaned runs and
	// deletes runs past the retention; pruneBatch is how many rows one
	// statement deletes at most.
	housekeepEvery = time.Minute
	pruneBatch     = 1000
)

// Config configures an engine.
type Config struct {
	Store       *store.Store
	Entities    entityv1.EntityInternalServiceClient
	Connections connectionv1.ConnectionInternalServiceClient
	Log         *slog.Logger
	// Replica names this replica in leases; empty makes one from the host
	// name, the process id and random bits.
	Replica string
	// Poll is how often the worker looks for due schedules and runs.
	Poll time.Duration
	// Lease is how long a claimed run stays leased without renewal.
	Lease time.Duration
	// Concurrency is how many runs this replica executes at once.
	Concurrency int
	// Reconcile is how often a connection gets a FULL run that reconciles
	// deletions.
	Reconcile time.Duration
	// Retention is how long a finished run is kept after it ended.
	Retention time.Duration
	// CallTimeout bounds one PullChanges or ReconcileDeletions call.
	CallTimeout time.Duration
	// StopWait bounds how long StopConnection waits for executing runs.
	StopWait time.Duration
	// Now is the clock; nil is the system clock.
	Now func() time.Time
	// Jitter draws a backoff delay in [0, ceiling]; nil is uniform.
	Jitter func(ceiling time.Duration) time.Duration
}

// Engine schedules and executes runs.
type Engine struct {
	cfg   Config
	store *store.Store
	log   *slog.Logger
	wake  chan struct{}
	mu    sync.Mutex
	local map[string]*execution // executing on this replica, by run id
}

// New returns an engine; zero fields of cfg get their defaults.
func New(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Replica == "" {
		cfg.Replica = replicaID()
	}
	cfg.Poll = orDefault(cfg.Poll, DefaultPoll)
	cfg.Lease = orDefault(cfg.Lease, DefaultLease)
	cfg.Reconcile = orDefault(cfg.Reconcile, DefaultReconcile)
	cfg.Retention = orDefault(cfg.Retention, DefaultRetention)
	cfg.CallTimeout = orDefault(cfg.CallTimeout, DefaultCallTimeout)
	cfg.StopWait = orDefault(cfg.StopWait, DefaultStopWait)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(c time.Duration) time.Duration { return time.Duration(mrand.Int64N(int64(c) + 1)) }
	}
	return &Engine{
		cfg:   cfg,
		store: cfg.Store,
		log:   cfg.Log.With("replica", cfg.Replica),
		wake:  make(chan struct{}, 1),
		local: map[string]*execution{},
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func replicaID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// Now is the engine's clock, truncated to what the store keeps.
func (e *Engine) Now() time.Time { return e.cfg.Now().UTC().Truncate(time.Microsecond) }

// Reconcile is the interval of reconciling runs.
func (e *Engine) Reconcile() time.Duration { return e.cfg.Reconcile }

// Wake makes the worker look for work now, after a local enqueue.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run is the worker loop: until ctx is done it turns due schedules into
// queued runs, claims runs while it has free slots, executes them, and
// delivers the notifications of runs whose worker died before it could.
// When ctx is done it stops its runs, releases their leases so another
// replica resumes them at once, and returns.
func (e *Engine) Run(ctx context.Context) error {
	if e.cfg.Entities == nil || e.cfg.Connections == nil || e.store == nil {
		return errors.New("sync engine: Store, Entities and Connections are required")
	}
	slots := make(chan struct{}, e.cfg.Concurrency)
	var running sync.WaitGroup
	defer running.Wait()
	var housekept time.Time
	for {
		e.schedule(ctx)
		e.sweepNotifications(ctx)
		e.claim(ctx, slots, &running)
		if now := time.Now(); now.Sub(housekept) >= housekeepEvery {
			housekept = now
			e.housekeep(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-time.After(e.cfg.Poll):
		}
	}
}

// claim takes runs while there are free slots and starts executing them.
func (e *Engine) claim(ctx context.Context, slots chan struct{}, running *sync.WaitGroup) {
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		default:
			return
		}
		r, ok, err := e.store.Claim(ctx, e.cfg.Replica, e.Now(), e.cfg.Lease)
		if err != nil || !ok {
			<-slots
			if err != nil && ctx.Err() == nil {
				e.log.Error("sync: claim a run", "error", err)
			}
			return
		}
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() {
				<-slots
				e.Wake()
			}()
			e.execute(ctx, r)
		}()
	}
}

// schedule turns due schedules into queued runs.
func (e *Engine) schedule(ctx context.Context) {
	now := e.Now()
	due, err := e.store.DueSchedules(ctx, now, 100)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("sync: due schedules", "error", err)
		}
		return
	}
	for _, d := range due {
		mode := store.ModeIncremental
		reconcile := d.Schedule.NextReconcileTime
		// The slot after a connection's first run (due when its schedule
		// was made) is at least half an interval away, so that a new
		// connection is not synced twice in a row when its phase falls
		// just after its creation.
		after := now
		if !d.Schedule.NextRunTime.After(d.Schedule.CreateTime) {
			after = now.Add(d.Settings.Interval / 2)
		}
		switch {
		case reconcile.IsZero():
			reconcile = now.Add(e.cfg.Reconcile)
		case !reconcile.After(now):
			mode = store.ModeFull
			reconcile = now.Add(e.cfg.Reconcile)
		}
		r := store.Run{
			ID:           ids.New("run"),
			ConnectionID: d.Schedule.ConnectionID,
			AccountID:    d.Schedule.AccountID,
			Mode:         mode,
			Collections:  Effective(d.Settings.Collections, d.Schedule.Available),
			CreateTime:   now,
		}
		if _, err := e.store.EnqueueScheduled(ctx, d.Schedule, NextSlot(d.Schedule.ConnectionID, after, d.Settings.Interval), reconcile, r); err != nil && ctx.Err() == nil {
			e.log.Error("sync: queue a scheduled run", "connection", r.ConnectionID, "error", err)
		}
	}
}

// NextSlot is when a connection's next scheduled run is due after now: the
// first of its slots after now, which are every interval at a phase drawn
// from the connection's id. The phases of many connections spread evenly
// over the interval, so that connections created together, or all due at
// once after an outage, do not run together again; and a connection's runs
// stay exactly one interval apart, however late its worker queued them.
func NextSlot(connection string, now time.Time, interval time.Duration) time.Time {
	iv := interval.Microseconds()
	if iv <= 0 {
		return now
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(connection))
	phase := int64(h.Sum64() % uint64(iv))
	t := now.UnixMicro()
	wait := ((phase-t)%iv + iv) % iv
	if wait == 0 {
		wait = iv
	}
	return time.UnixMicro(t + wait).UTC()
}

// housekeep cancels runs queued for connections that were stopped
// meanwhile (which a claim already skips), and deletes the runs that ended
// more than Retention ago, a batch at a time. Both read every active run or
// many finished ones, so they run once a minute rather than at every poll.
func (e *Engine) housekeep(ctx context.Context) {
	if _, err := e.store.CancelOrphans(ctx, e.Now()); err != nil && ctx.Err() == nil {
		e.log.Error("sync: cancel runs of stopped connections", "error", err)
	}
	cutoff := e.Now().Add(-e.cfg.Retention)
	for ctx.Err() == nil {
		n, err := e.store.DeleteFinishedRuns(ctx, cutoff, pruneBatch)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("sync: delete finished runs past the retention", "error", err)
			}
			return
		}
		if n < pruneBatch {
			return
		}
	}
}

// Effective are the collections a run syncs: those chosen in the settings
// that the system can list, or, when none are chosen, every one it can.
func Effective(chosen, available []string) []string {
	if len(chosen) == 0 {
		return slices.Clone(available)
	}
	if len(available) == 0 {
		return slices.Clone(chosen)
	}
	var out []string
	for _, c := range chosen {
		if slices.Contains(available, c) {
			out = append(out, c)
		}
	}
	return out
}

// StopConnection stops a connection's schedule, cancels its queued and
// running runs, asks a run executing on this replica to stop, and returns
// once no worker anywhere executes a run of the connection — each has
// released its lease, or let it expire — or fails with UNAVAILABLE after
// StopWait (calling it again goes on waiting).
func (e *Engine) StopConnection(ctx context.Context, connection string) (int, error) {
	n, err := e.store.StopConnection(ctx, connection, e.Now())
	if err != nil {
		return 0, err
	}
	e.stopLocal(connection)
	deadline := time.Now().Add(e.cfg.StopWait)
	if d, ok := ctx.Deadline(); ok && d.Add(-stopMargin).Before(deadline) {
		// Answer UNAVAILABLE before the caller's deadline, so that its
		// client retries (StopConnection is idempotent) rather than giving
		// up on DEADLINE_EXCEEDED.
		deadline = d.Add(-stopMargin)
	}
	for {
		k, err := e.store.Executing(ctx, connection, e.Now())
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, nil
		}
		if time.Now().After(deadline) {
			return n, apierr.New(apierr.Unavailable, "a sync run of connection %q is still stopping; call StopConnection again", connection).
				With("connection", connection)
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(min(e.cfg.Poll, 50*time.Millisecond)):
		}
	}
}

func (e *Engine) stopLocal(connection string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.local {
		if x.run.ConnectionID == connection {
			x.requestStop()
		}
	}
}

func (e *Engine) register(x *execution) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.local[x.run.ID] = x
}

func (e *Engine) unregister(x *execution) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.local, x.run.ID)
}
