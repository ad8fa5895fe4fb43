// Package server implements the entity service's gRPC API: the systems
// catalog, the unified records of every collection (written once, for all
// collections, over the model package's descriptors), writes through the
// connectors, passthrough, and the internal API the other services call.
package server

import (
	"context"
	"log/slog"
	"sort"

	"google.golang.org/protobuf/proto"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/pagetoken"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Deps are the server's dependencies.
type Deps struct {
	Store *store.Store
	Key   secret.Key
	Log   *slog.Logger
	// Connectors are the connectors by system id.
	Connectors map[string]connector.Connector
	// Connections is the connection service's internal API.
	Connections connectionv1.ConnectionInternalServiceClient
}

// Server is the entity service.
type Server struct {
	entityv1.UnimplementedEntityServiceServer

	store       *store.Store
	pages       pagetoken.Codec
	log         *slog.Logger
	connectors  map[string]connector.Connector
	systems     []*entityv1.System
	connections connectionv1.ConnectionInternalServiceClient
	configs     configs
}

// New returns the service.
func New(d Deps) *Server {
	s := &Server{store: d.Store, pages: pagetoken.New(d.Key), log: d.Log, connectors: d.Connectors, connections: d.Connections}
	for _, c := range d.Connectors {
		s.systems = append(s.systems, c.Describe())
	}
	sort.Slice(s.systems, func(i, j int) bool { return s.systems[i].GetId() < s.systems[j].GetId() })
	return s
}

// ListSystems lists the systems catalog.
func (s *Server) ListSystems(context.Context, *entityv1.ListSystemsRequest) (*entityv1.ListSystemsResponse, error) {
	return &entityv1.ListSystemsResponse{Systems: s.systems}, nil
}

// GetSystem returns one system of the catalog.
func (s *Server) GetSystem(_ context.Context, req *entityv1.GetSystemRequest) (*entityv1.GetSystemResponse, error) {
	c, ok := s.connectors[req.GetSystem()]
	if !ok {
		return nil, apierr.New(apierr.NotFound, "no system %q; GET /v1/systems lists them", req.GetSystem()).With("system", req.GetSystem())
	}
	return &entityv1.GetSystemResponse{System: proto.Clone(c.Describe()).(*entityv1.System)}, nil
}

// capability returns what a system supports for a collection.
func capability(sys *entityv1.System, collection string) *entityv1.CollectionCapability {
	for _, c := range sys.GetCapabilities() {
		if c.GetCollection() == collection {
			return c
		}
	}
	return nil
}

// supports reports whether a system claims an operation on a collection.
func supports(sys *entityv1.System, collection string, op entityv1.CollectionCapability_Operation) bool {
	for _, o := range capability(sys, collection).GetOperations() {
		if o == op {
			return true
		}
	}
	return false
}

// requireOp refuses, before anything is sent, an operation the system does
// not claim.
func requireOp(sys *entityv1.System, collection string, op entityv1.CollectionCapability_Operation) error {
	if supports(sys, collection, op) {
		return nil
	}
	return apierr.New(apierr.OperationNotSupported, "%s does not support %s on %s; GET /v1/systems/%s lists what it supports",
		sys.GetDisplayName(), op, collection, sys.GetId()).With("system", sys.GetId()).With("collection", collection).With("operation", op.String())
}
