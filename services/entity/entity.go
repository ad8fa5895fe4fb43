// Package entity is the entity service: the unified data model, the store
// of synced records, the connectors and the capability matrix.
package entity

import (
	"log/slog"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/server"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Name is the service's name: its SQLite file and PostgreSQL schema.
const Name = "entity"

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

// Service is a running entity service.
type Service struct {
	cfg    Config
	server *server.Server
}

// New returns the service on a migrated database.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg, server: server.New([]*entityv1.System{}, cfg.Log)}
}

// GRPCServer returns a gRPC server with the service's API registered.
func (s *Service) GRPCServer() *grpcserver.Server {
	g := grpcserver.New(grpcserver.Config{
		Name: Name,
		Log:  s.cfg.Log,
		Auth: auth.Policy{Authenticate: auth.Remote(s.cfg.Connections), Internal: auth.InternalCredential(s.cfg.Key)},
	})
	entityv1.RegisterEntityServiceServer(g, s.server)
	return g
}
