// Package connection is the connection service: accounts, API keys, the
// credit pool, connections and their tokens, status, events and webhooks.
package connection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/server"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/grpcserver"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Name is the service's name: its SQLite file and PostgreSQL schema.
const Name = "connection"

// Migrations are the service's schema migrations.
var Migrations = store.Migrations

// Config configures the service.
type Config struct {
	DB  *db.DB
	Key secret.Key
	Log *slog.Logger
	// Entity and Sync are connections to those services, called with the
	// internal credential.
	Entity grpc.ClientConnInterface
	Sync   grpc.ClientConnInterface
	// HealthCheckEvery is how often the health monitor looks for due checks;
	// 0 means 5 seconds.
	HealthCheckEvery time.Duration
	// AllowPrivateNetworks lets webhook endpoints be on private, loopback
	// and link-local addresses (dev).
	AllowPrivateNetworks bool
	// WebhookPollEvery is how often the webhook worker polls; 0 means 1 s.
	WebhookPollEvery time.Duration
	// PublicURL is the gateway's public base URL, which link sessions'
	// URLs start with.
	PublicURL string
}

// Service is a running connection service.
type Service struct {
	store    *store.Store
	server   *server.Server
	key      secret.Key
	log      *slog.Logger
	requests *requestlog.Log

	healthEvery time.Duration
}

// Run runs the service's background work until ctx is done: the health
// monitor, the deleter of connections' data and webhook delivery.
func (s *Service) Run(ctx context.Context) error {
	go s.server.RunDeleter(ctx)
	webhooks := make(chan error, 1)
	go func() { webhooks <- s.server.RunWebhooks(ctx) }()
	s.server.RunHealthMonitor(ctx, s.healthEvery)
	return <-webhooks
}

// New returns the service on a migrated database.
func New(cfg Config) *Service {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	st := store.New(cfg.DB)
	requests := requestlog.New(cfg.DB, Name, log)
	srv := server.New(server.Deps{
		Store:    st,
		Key:      cfg.Key,
		Log:      log,
		Systems:  entityv1.NewEntityServiceClient(cfg.Entity),
		Entities: entityv1.NewEntityInternalServiceClient(cfg.Entity),
		Sync:     syncv1.NewSyncInternalServiceClient(cfg.Sync),
		Requests: requests,
		RequestPeers: []connectionv1.RequestLogInternalServiceClient{
			connectionv1.NewRequestLogInternalServiceClient(cfg.Entity),
			connectionv1.NewRequestLogInternalServiceClient(cfg.Sync),
		},

		AllowPrivateNetworks: cfg.AllowPrivateNetworks,
		WebhookPollEvery:     cfg.WebhookPollEvery,
		PublicURL:            cfg.PublicURL,
	})
	every := cfg.HealthCheckEvery
	if every == 0 {
		every = 5 * time.Second
	}
	return &Service{store: st, server: srv, key: cfg.Key, log: log, requests: requests, healthEvery: every}
}

// GRPCServer returns a gRPC server with the service's APIs registered.
func (s *Service) GRPCServer() *grpcserver.Server {
	g := grpcserver.New(grpcserver.Config{
		Name:     Name,
		Log:      s.log,
		Requests: s.requests,
		// The service's own handlers check that a connection is the caller's
		// (and ListEvents' connection is only a filter), so authentication
		// here resolves the credential alone.
		Auth: auth.Policy{Authenticate: func(ctx context.Context, credential, _ string) (auth.Principal, error) {
			return s.server.Principal(ctx, credential, "")
		}, Internal: auth.InternalCredential(s.key)},
	})
	connectionv1.RegisterConnectionServiceServer(g, s.server)
	connectionv1.RegisterConnectionInternalServiceServer(g, server.Internal{Server: s.server})
	return g
}

// NewAccount is an account made by CreateAccount, with its API key, which is
// shown only this once.
type NewAccount struct {
	ID     string
	APIKey string
}

// CreateAccount creates an account with a credit limit and an API key. An
// empty key makes a random one; a given one must be well formed.
func (s *Service) CreateAccount(ctx context.Context, name string, credits int, apiKey string) (NewAccount, error) {
	if apiKey == "" {
		apiKey = secret.NewToken(secret.AccountKeyPrefix)
	}
	if !secret.WellFormed(apiKey, secret.AccountKeyPrefix) {
		return NewAccount{}, errMalformedKey
	}
	a := store.Account{ID: ids.New("acct"), DisplayName: name, CreditLimit: credits, CreateTime: db.Now()}
	if err := s.store.CreateAccount(ctx, a, secret.Hash(apiKey)); err != nil {
		return NewAccount{}, err
	}
	return NewAccount{ID: a.ID, APIKey: apiKey}, nil
}

// EnsureAccount returns the account with the name, creating it with the
// credits and the key (a random one if empty) when there is none. When it
// exists and apiKey is new to it, apiKey is added to its keys. The returned
// APIKey is empty when the account existed and no key was given: keys are
// kept only as hashes.
func (s *Service) EnsureAccount(ctx context.Context, name string, credits int, apiKey string) (NewAccount, error) {
	a, err := s.store.AccountByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return s.CreateAccount(ctx, name, credits, apiKey)
	}
	if err != nil || apiKey == "" {
		return NewAccount{ID: a.ID}, err
	}
	if !secret.WellFormed(apiKey, secret.AccountKeyPrefix) {
		return NewAccount{}, errMalformedKey
	}
	owner, err := s.store.AccountByKeyHash(ctx, secret.Hash(apiKey))
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = s.store.AddAPIKey(ctx, a.ID, secret.Hash(apiKey), db.Now())
	case err == nil && owner != a.ID:
		err = fmt.Errorf("the API key belongs to another account")
	}
	return NewAccount{ID: a.ID, APIKey: apiKey}, err
}

// SetCredits changes an account's credit limit.
func (s *Service) SetCredits(ctx context.Context, accountID string, credits int) error {
	err := s.store.SetCreditLimit(ctx, accountID, credits)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account %q", accountID)
	}
	return err
}
