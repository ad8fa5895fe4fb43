// Package sync is the sync service: sync schedules, runs, cursors and
// backoff. It drives the entity service and never talks to a connected
// system itself.
package sync

import (
	"log/slog"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/secret"
	"github.com/millwright-dev/millwright/services/sync/internal/server"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// Name is the service's name: its SQLite file and PostgreSQL schema.
const Name = "sync"

// Migrations are the service's schema migrations.
var Migrations = store.Migrations

// Config configures the service.
type Config struct {
	DB  *db.DB
	Key secret.Key
	Log *slog.Logger
	// Connections is a client of the connection service's internal API.
	Connections connectionv1.ConnectionInternalServiceClient
}

// Service is a running sync service.
type Service struct {
	cfg    Config
	server *server.Server
}

// New returns the service on a migrated database.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg, server: server.New(cfg.Log)}
}

// GRPCServer returns a gRPC server with the service's API registered.
func (s *Service) GRPCServer() *grpcserver.Server {
	g := grpcserver.New(grpcserver.Config{
		Name: Name,
		Log:  s.cfg.Log,
		Auth: auth.Policy{Authenticate: auth.Remote(s.cfg.Connections), Internal: auth.InternalCredential(s.cfg.Key)},
	})
	syncv1.RegisterSyncServiceServer(g, s.server)
	return g
}
