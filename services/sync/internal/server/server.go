// Package server implements the sync service's gRPC API.
package server

import (
	"log/slog"

	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

// Server is the sync service.
type Server struct {
	syncv1.UnimplementedSyncServiceServer

	log *slog.Logger
}

// New returns the service.
func New(log *slog.Logger) *Server {
	return &Server{log: log}
}
