// Package server implements the connection service's gRPC API on its store.
package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Server is the connection service.
type Server struct {
	connectionv1.UnimplementedConnectionServiceServer

	store *store.Store
	log   *slog.Logger
}

// New returns the service on a store.
func New(s *store.Store, log *slog.Logger) *Server {
	return &Server{store: s, log: log}
}

var errInvalidToken = apierr.New(apierr.InvalidToken, "missing or invalid credential: send an account API key or a connection token as 'Authorization: Bearer <credential>'")

// Principal resolves a credential locally; it is the connection service's
// own auth.Authenticator and backs the internal Authenticate RPC.
func (s *Server) Principal(ctx context.Context, credential, connection string) (auth.Principal, error) {
	if !secret.WellFormed(credential, secret.AccountKeyPrefix) {
		return auth.Principal{}, errInvalidToken
	}
	hash := secret.Hash(credential)
	account, err := s.store.AccountByKeyHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, errInvalidToken
	}
	if err != nil {
		return auth.Principal{}, err
	}
	p := auth.Principal{Account: account}
	if connection != "" {
		return auth.Principal{}, apierr.New(apierr.PermissionDenied, "the credential may not use connection %q", connection).With("connection", connection)
	}
	return p, nil
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

// Internal is the connection service's internal API, for the other services.
type Internal struct {
	connectionv1.UnimplementedConnectionInternalServiceServer
	*Server
}

// Authenticate resolves a user's credential for another service.
func (s Internal) Authenticate(ctx context.Context, req *connectionv1.AuthenticateRequest) (*connectionv1.AuthenticateResponse, error) {
	p, err := s.Principal(ctx, req.GetCredential(), req.GetConnection())
	if err != nil {
		return nil, err
	}
	return &connectionv1.AuthenticateResponse{Account: p.Account, TokenConnection: p.TokenConnection}, nil
}

func accountProto(a store.Account) *connectionv1.Account {
	available := max(a.CreditLimit-a.CreditsUsed, 0)
	return &connectionv1.Account{
		Id:          a.ID,
		DisplayName: a.DisplayName,
		Credits: &connectionv1.CreditPool{
			Limit:     int32(a.CreditLimit),
			Used:      int32(a.CreditsUsed),
			Available: int32(available),
		},
		CreateTime: timestamppb.New(a.CreateTime),
	}
}
