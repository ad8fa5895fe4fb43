// Package sync is the sync service: sync settings, schedules, runs, cursors
// and backoff. It drives the entity service (PullChanges, up to
// engine.PagesPerCall pages a call, then ReconcileDeletions) and never talks
// to a connected system itself, nor sees a record.
//
// Runs are queued and executed through the service's own runs table with
// leases in the database, not through a job queue library: see the package
// comment of internal/engine for why, for how a claim stays exactly-once on
// PostgreSQL (FOR UPDATE SKIP LOCKED) and SQLite (one UPDATE ... RETURNING),
// and for the backoff formula. Every replica runs the worker loop (Run).
package sync

import (
	"context"
	"log/slog"
	"time"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
	"github.com/millwright-dev/millwright/services/platform/secret"
	"github.com/millwright-dev/millwright/services/sync/internal/engine"
	"github.com/millwright-dev/millwright/services/sync/internal/server"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// Name is the service's name: its SQLite file and PostgreSQL schema.
const Name = "sync"

// Migrations are the service's schema migrations.
var Migrations = store.Migrations

// Config configures the service. Zero durations and counts get their
// defaults.
type Config struct {
	DB  *db.DB
	Key secret.Key
	Log *slog.Logger
	// Connections is a client of the connection service's internal API
	// (authentication, connectivity reports, events).
	Connections connectionv1.ConnectionInternalServiceClient
	// Entities is a client of the entity service's internal API (pulls,
	// reconciliation, record counts).
	Entities entityv1.EntityInternalServiceClient

	// ReplicaID names this replica in run leases; empty makes a unique one.
	ReplicaID string
	// PollInterval is how often the worker looks for due schedules and runs
	// (1 s); a local enqueue wakes it at once.
	PollInterval time.Duration
	// Lease is how long a claimed run stays leased without renewal (30 s);
	// a run whose replica died resumes elsewhere after it.
	Lease time.Duration
	// Concurrency is how many runs this replica executes at once (4).
	Concurrency int
	// ReconcileInterval is how often each connection gets a FULL run that
	// reconciles deletions (24 h).
	ReconcileInterval time.Duration
	// RunRetention is how long a finished run is kept after it ended (7
	// days); older runs are deleted.
	RunRetention time.Duration

	// Now and Jitter are for tests: the clock (time.Now) and the draw of a
	// backoff delay in [0, ceiling] (uniform).
	Now    func() time.Time
	Jitter func(ceiling time.Duration) time.Duration
}

// Service is a running sync service.
type Service struct {
	cfg    Config
	engine *engine.Engine
	server *server.Server
}

// New returns the service on a migrated database.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	st := store.New(cfg.DB)
	eng := engine.New(engine.Config{
		Store:       st,
		Entities:    cfg.Entities,
		Connections: cfg.Connections,
		Log:         cfg.Log,
		Replica:     cfg.ReplicaID,
		Poll:        cfg.PollInterval,
		Lease:       cfg.Lease,
		Concurrency: cfg.Concurrency,
		Reconcile:   cfg.ReconcileInterval,
		Retention:   cfg.RunRetention,
		Now:         cfg.Now,
		Jitter:      cfg.Jitter,
	})
	srv := server.New(server.Deps{Store: st, Engine: eng, Key: cfg.Key, Log: cfg.Log, Entities: cfg.Entities})
	return &Service{cfg: cfg, engine: eng, server: srv}
}

// GRPCServer returns a gRPC server with the service's APIs registered.
func (s *Service) GRPCServer() *grpcserver.Server {
	g := grpcserver.New(grpcserver.Config{
		Name:     Name,
		Log:      s.cfg.Log,
		Requests: requestlog.New(s.cfg.DB, Name, s.cfg.Log),
		Auth:     auth.Policy{Authenticate: auth.Remote(s.cfg.Connections), Internal: auth.InternalCredential(s.cfg.Key)},
	})
	syncv1.RegisterSyncServiceServer(g, s.server)
	syncv1.RegisterSyncInternalServiceServer(g, server.Internal{Server: s.server})
	return g
}

// Run runs the worker loop until ctx is done: it queues the runs of due
// schedules, executes runs, and delivers their events. Run it on every
// replica, in its own goroutine.
func (s *Service) Run(ctx context.Context) error { return s.engine.Run(ctx) }
