package server

import (
	"context"
	"time"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
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
	// The next page is fetched and prepared while the last one is saved.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := prefetch(ctx, maxPages, time.Now().Add(PullBudget), lr, func(lr connector.ListRequest) fetched {
		page, err := t.impl.ListChanges(ctx, cfg, lr)
		if err != nil {
			return fetched{err: err}
		}
		rows, err := s.prepare(t.conn.GetId(), col, page.Records)
		return fetched{page: page, rows: rows, err: err}
	})
	resp := &entityv1.PullChangesResponse{}
	for f := range pages {
		// A page that cannot be fetched after others were stored ends
		// the call with those: the caller commits them, and its next call
		// meets the error afresh (a rate limit, say, that a call of many
		// pages would otherwise meet every time).
		if f.err != nil && resp.NextPageToken != "" {
			return resp, nil
		}
		if f.err != nil {
			return nil, f.err
		}
		page := f.page
		ch, err := s.save(ctx, t.conn.GetId(), col, f.rows, page.Deleted, nil)
		if err != nil {
			return nil, err
		}
		if req.GetReconcile() {
			if err := s.markSeen(ctx, t.conn.GetId(), col, req.GetRun(), f.rows); err != nil {
				return nil, err
			}
		}
		resp.Seen += ch.Seen
		resp.Created += ch.Created
		resp.Updated += ch.Updated
		resp.Deleted += ch.Deleted
		resp.NextPageToken = page.NextPageToken
		if page.NextPageToken == "" {
			resp.Cursor = page.Cursor
		}
	}
	return resp, nil
}

// fetched is a page prefetch read and its rows prepared to save, or why
// it could not.
type fetched struct {
	page connector.Page
	rows []store.Row
	err  error
}

// PullBudget is how long a PullChanges call goes on fetching pages: it
// starts no page after it, so that a call to a slow system returns its
// progress (which the caller commits) in good time, however many pages it
// was allowed.
const PullBudget = 10 * time.Second

// prefetch lists up to n pages from lr on, one ahead of the reader: it
// stops after the last page, after an error (which it delivers), when ctx
// is done, or, once it has fetched one page, at until.
func prefetch(ctx context.Context, n int, until time.Time, lr connector.ListRequest, list func(connector.ListRequest) fetched) <-chan fetched {
	out := make(chan fetched, 1)
	go func() {
		defer close(out)
		for i := range n {
			if i > 0 && time.Now().After(until) {
				return
			}
			f := list(lr)
			select {
			case out <- f:
			case <-ctx.Done():
				return
			}
			if f.err != nil || f.page.NextPageToken == "" {
				return
			}
			lr.PageToken = f.page.NextPageToken
		}
	}()
	return out
}

// DeleteConnectionData deletes a connection's synced records.
func (s Internal) DeleteConnectionData(ctx context.Context, req *entityv1.DeleteConnectionDataRequest) (*entityv1.DeleteConnectionDataResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	n, err := s.store.DeleteConnection(ctx, req.GetConnection(), 5000)
	return &entityv1.DeleteConnectionDataResponse{Deleted: n}, err
}

// markSeen remembers, durably and per run, the records a reconciling pull
// saw, so the run may resume on another replica.
func (s Internal) markSeen(ctx context.Context, connection string, col *model.Collection, run string, rows []store.Row) error {
	if run == "" {
		return apierr.InvalidFields(apierr.FieldViolation{Field: "run", Description: "is required with reconcile"})
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return s.store.MarkSeen(ctx, connection, col.Name, run, ids)
}

// ReconcileDeletions tombstones the stored records of a collection that the
// run's complete, reconciling listing did not see, with their events.
func (s Internal) ReconcileDeletions(ctx context.Context, req *entityv1.ReconcileDeletionsRequest) (*entityv1.ReconcileDeletionsResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	col, ok := model.ByName(req.GetCollection())
	if !ok {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "collection", Description: "unknown collection " + req.GetCollection()})
	}
	gone, err := s.store.TombstoneUnseen(ctx, req.GetConnection(), col.Name, req.GetRun(), db.Now())
	if err != nil {
		return nil, err
	}
	return &entityv1.ReconcileDeletionsResponse{Deleted: int64(len(gone))}, nil
}

// CountRecords counts a connection's live records per collection.
func (s Internal) CountRecords(ctx context.Context, req *entityv1.CountRecordsRequest) (*entityv1.CountRecordsResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, col := range model.All() {
		n, err := s.store.Count(ctx, req.GetConnection(), col.Name)
		if err != nil {
			return nil, err
		}
		counts[col.Name] = n
	}
	return &entityv1.CountRecordsResponse{Counts: counts}, nil
}
