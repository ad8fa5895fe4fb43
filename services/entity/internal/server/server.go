// Package server implements the entity service's gRPC API.
package server

import (
	"context"
	"log/slog"
	"slices"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
)

// Server is the entity service.
type Server struct {
	entityv1.UnimplementedEntityServiceServer

	systems []*entityv1.System
	log     *slog.Logger
}

// New returns the service serving the systems catalog.
func New(systems []*entityv1.System, log *slog.Logger) *Server {
	return &Server{systems: systems, log: log}
}

// ListSystems lists the systems catalog.
func (s *Server) ListSystems(ctx context.Context, _ *entityv1.ListSystemsRequest) (*entityv1.ListSystemsResponse, error) {
	if _, ok := auth.From(ctx); !ok {
		return nil, apierr.New(apierr.InvalidToken, "missing credential")
	}
	return &entityv1.ListSystemsResponse{Systems: s.systems}, nil
}

// GetSystem returns one system of the catalog.
func (s *Server) GetSystem(ctx context.Context, req *entityv1.GetSystemRequest) (*entityv1.GetSystemResponse, error) {
	i := slices.IndexFunc(s.systems, func(sys *entityv1.System) bool { return sys.GetId() == req.GetSystem() })
	if i < 0 {
		return nil, apierr.New(apierr.NotFound, "no system %q; GET /v1/systems lists them", req.GetSystem()).With("system", req.GetSystem())
	}
	return &entityv1.GetSystemResponse{System: s.systems[i]}, nil
}
