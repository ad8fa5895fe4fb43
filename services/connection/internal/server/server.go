// Package server implements the connection service's gRPC API on its store.
package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/connection/internal/webhook"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/pagetoken"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Deps are the server's dependencies.
type Deps struct {
	Store *store.Store
	Key   secret.Key
	Log   *slog.Logger
	// Systems and Entities reach the entity service.
	Systems  entityv1.EntityServiceClient
	Entities entityv1.EntityInternalServiceClient
	// Sync reaches the sync service.
	Sync syncv1.SyncInternalServiceClient
	// AllowPrivateNetworks lets webhook endpoints be on private, loopback
	// and link-local addresses.
	AllowPrivateNetworks bool
	// WebhookPollEvery is how often the webhook worker polls; 0 means 1 s.
	WebhookPollEvery time.Duration
	// Requests is the service's request log; RequestPeers reach the other
	// services' logs, for lookups.
	Requests     *requestlog.Log
	RequestPeers []connectionv1.RequestLogInternalServiceClient
	// PublicURL is the gateway's public base URL, which link sessions'
	// URLs start with (`https://api.example.com`).
	PublicURL string
}

// Server is the connection service.
type Server struct {
	connectionv1.UnimplementedConnectionServiceServer

	store    *store.Store
	key      secret.Key
	pages    pagetoken.Codec
	log      *slog.Logger
	catalog  *catalog
	entities entityv1.EntityInternalServiceClient
	sync     syncv1.SyncInternalServiceClient
	deletes  chan string
	webhooks *webhook.Worker
	requests *requestlog.Log
	peers    []connectionv1.RequestLogInternalServiceClient
	linkURL  string
}

// New returns the service.
func New(d Deps) *Server {
	return &Server{
		store:    d.Store,
		key:      d.Key,
		pages:    pagetoken.New(d.Key),
		log:      d.Log,
		catalog:  newCatalog(d.Systems),
		entities: d.Entities,
		sync:     d.Sync,
		deletes:  make(chan string, 64),
		linkURL:  strings.TrimSuffix(d.PublicURL, "/"),
		webhooks: webhook.NewWorker(d.Store, d.Key, d.Log, webhook.Options{AllowPrivateNetworks: d.AllowPrivateNetworks, PollInterval: d.WebhookPollEvery}),
		requests: d.Requests,
		peers:    d.RequestPeers,
	}
}

var errInvalidToken = apierr.New(apierr.InvalidToken, "missing or invalid credential: send an account API key or a connection token as 'Authorization: Bearer <credential>'")

func denied(connection string) error {
	return apierr.New(apierr.PermissionDenied, "the credential may not use connection %q", connection).With("connection", connection)
}

// Principal resolves a credential locally; it is the connection service's
// own auth.Authenticator and backs the internal Authenticate RPC. With a
// connection, it also checks the principal may use it.
func (s *Server) Principal(ctx context.Context, credential, connection string) (auth.Principal, error) {
	switch {
	case secret.WellFormed(credential, secret.AccountKeyPrefix):
		hash := secret.Hash(credential)
		if connection != "" {
			// The key and its connection in one query; the key alone
			// only when that finds nothing, to tell which is at fault.
			c, err := s.store.ConnectionByKeyHash(ctx, hash, connection)
			if err == nil {
				return auth.Principal{Account: c.AccountID, Connection: connectionProto(c)}, nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return auth.Principal{}, err
			}
		}
		account, err := s.store.AccountByKeyHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return auth.Principal{}, errInvalidToken
		}
		if err != nil {
			return auth.Principal{}, err
		}
		if connection != "" {
			return auth.Principal{}, denied(connection)
		}
		return auth.Principal{Account: account}, nil
	case secret.WellFormed(credential, secret.ConnectionTokenPrefix):
		hash := secret.Hash(credential)
		c, err := s.store.ConnectionByTokenHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !secret.Equal(c.TokenHash, hash)) {
			return auth.Principal{}, errInvalidToken
		}
		if err != nil {
			return auth.Principal{}, err
		}
		p := auth.Principal{Account: c.AccountID, TokenConnection: c.ID}
		if connection != "" {
			if connection != c.ID {
				return auth.Principal{}, denied(connection)
			}
			p.Connection = connectionProto(c)
		}
		return p, nil
	case secret.WellFormed(credential, secret.LinkSecretPrefix):
		l, err := s.store.LinkSessionBySecretHash(ctx, secret.Hash(credential))
		if errors.Is(err, store.ErrNotFound) {
			return auth.Principal{}, errInvalidToken
		}
		if err != nil {
			return auth.Principal{}, err
		}
		if err := usable(l, db.Now()); err != nil {
			return auth.Principal{}, err
		}
		if connection != "" {
			return auth.Principal{}, denied(connection)
		}
		return auth.Principal{Account: l.AccountID, LinkSession: l.ID}, nil
	}
	return auth.Principal{}, errInvalidToken
}

// GetAccount returns the calling account.
func (s *Server) GetAccount(ctx context.Context, _ *connectionv1.GetAccountRequest) (*connectionv1.GetAccountResponse, error) {
	id, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	return &connectionv1.GetAccountResponse{Account: accountProto(a)}, nil
}
