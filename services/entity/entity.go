// Package entity is the entity service: the unified data model, the store
// of synced records, the connectors and the capability matrix.
package entity

import (
	"context"
	"fmt"
	"log/slog"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/relay"
	"github.com/millwright-dev/millwright/services/entity/internal/server"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
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
	// Connectors are the built-in connectors, served in-process through the
	// connector protocol.
	Connectors []connector.Connector
	// External are connectors already reached through the protocol, such as
	// separate processes started with connector/plugin.Launch.
	External []connector.Connector
	// AllowPrivateNetworks lets connectors reach private, loopback and
	// link-local addresses (dev and tests).
	AllowPrivateNetworks bool
}

// Service is a running entity service.
type Service struct {
	cfg    Config
	server *server.Server
	relay  *relay.Relay
	stops  []func()
}

// New returns the service on a migrated database.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	connector.AllowPrivateNetworks(cfg.AllowPrivateNetworks)
	s := &Service{cfg: cfg}
	byID := map[string]connector.Connector{}
	for _, c := range cfg.Connectors {
		id := c.Describe().GetId()
		if _, dup := byID[id]; dup {
			s.Close()
			return nil, fmt.Errorf("two connectors for system %q", id)
		}
		conn, stop, err := connector.InProcess(ctx, c)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("connector %s: %w", id, err)
		}
		s.stops = append(s.stops, stop)
		byID[id] = conn
	}
	for _, c := range cfg.External {
		id := c.Describe().GetId()
		if _, dup := byID[id]; dup {
			s.Close()
			return nil, fmt.Errorf("two connectors for system %q", id)
		}
		byID[id] = c
	}
	st := store.New(cfg.DB)
	s.server = server.New(server.Deps{Store: st, Key: cfg.Key, Log: cfg.Log, Connectors: byID, Connections: cfg.Connections})
	s.relay = relay.New(st, cfg.Connections, cfg.Log, relay.Options{})
	return s, nil
}

// Run runs the service's background work until ctx is done: the relay of
// record events to the connection service.
func (s *Service) Run(ctx context.Context) error {
	return s.relay.Run(ctx)
}

// Close stops the in-process connectors.
func (s *Service) Close() {
	for _, stop := range s.stops {
		stop()
	}
}

// GRPCServer returns a gRPC server with the service's APIs registered.
func (s *Service) GRPCServer() *grpcserver.Server {
	g := grpcserver.New(grpcserver.Config{
		Name:     Name,
		Log:      s.cfg.Log,
		Requests: requestlog.New(s.cfg.DB, Name, s.cfg.Log),
		Auth:     auth.Policy{Authenticate: auth.Remote(s.cfg.Connections), Internal: auth.InternalCredential(s.cfg.Key)},
	})
	entityv1.RegisterEntityServiceServer(g, s.server)
	entityv1.RegisterEntityInternalServiceServer(g, server.Internal{Server: s.server})
	return g
}
