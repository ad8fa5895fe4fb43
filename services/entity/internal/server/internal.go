package server

import (
	"context"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
)

// Internal is the entity service's internal API, for the other services.
type Internal struct {
	entityv1.UnimplementedEntityInternalServiceServer
	*Server
}

func requireInternal(ctx context.Context) error {
	if p, ok := auth.From(ctx); !ok || !p.Internal {
		return apierr.New(apierr.PermissionDenied, "internal API: only Millwright's own services may call it")
	}
	return nil
}

// CheckConnection checks a system answers and accepts credentials.
func (s Internal) CheckConnection(ctx context.Context, req *entityv1.CheckConnectionRequest) (*entityv1.CheckConnectionResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	impl, ok := s.connectors[req.GetSystem()]
	if !ok {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.system", Description: "unknown system " + req.GetSystem()})
	}
	err := impl.Check(ctx, connector.Config{Settings: req.GetSettings(), Credentials: req.GetCredentials()})
	return &entityv1.CheckConnectionResponse{}, err
}

// PullChanges pulls up to max_pages pages of a collection's changes from the
// system into the store.
func (s Internal) PullChanges(ctx context.Context, req *entityv1.PullChangesRequest) (*entityv1.PullChangesResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	col, ok := model.ByName(req.GetCollection())
	if !ok {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "collection", Description: "unknown collection " + req.GetCollection()})
	}
	sec, err := s.connectionSecrets(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	t, cfg := sec.target, sec.cfg
	if err := requireOp(t.system, col.Name, entityv1.CollectionCapability_LIST); err != nil {
		return nil, err
	}
	maxPages := int(req.GetMaxPages())
	if maxPages <= 0 {
		maxPages = 10
	}
	lr := connector.ListRequest{Collection: col.Name, Cursor: req.GetCursor(), PageToken: req.GetPageToken()}
	if req.GetSince() != nil {
		lr.Since = req.GetSince().AsTime()
	}
	resp := &entityv1.PullChangesResponse{}
	for range maxPages {
		page, err := t.impl.ListChanges(ctx, cfg, lr)
		if err != nil {
			return nil, err
		}
		ch, err := s.ingest(ctx, t.conn.GetId(), col, page.Records, page.Deleted)
		if err != nil {
			return nil, err
		}
		resp.Seen += ch.Seen
		resp.Created += ch.Created
		resp.Updated += ch.Updated
		resp.Deleted += ch.Deleted
		resp.NextPageToken = page.NextPageToken
		if page.NextPageToken == "" {
			resp.Cursor = page.Cursor
			break
		}
		lr.PageToken = page.NextPageToken
	}
	return resp, nil
}

// DeleteConnectionData deletes a connection's synced records.
func (s Internal) DeleteConnectionData(ctx context.Context, req *entityv1.DeleteConnectionDataRequest) (*entityv1.DeleteConnectionDataResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	n, err := s.store.DeleteConnection(ctx, req.GetConnection(), 5000)
	return &entityv1.DeleteConnectionDataResponse{Deleted: n}, err
}
