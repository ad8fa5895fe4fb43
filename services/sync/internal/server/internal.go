package server

import (
	"context"
	"errors"

	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// Internal is the sync service's internal API, for the connection service.
type Internal struct {
	syncv1.UnimplementedSyncInternalServiceServer
	*Server
}

func requireInternal(ctx context.Context) error {
	if p, ok := auth.From(ctx); !ok || !p.Internal {
		return apierr.New(apierr.PermissionDenied, "internal API: only Millwright's own services may call it")
	}
	return nil
}

// ScheduleConnection starts syncing a connection: default settings, and a
// schedule whose first run is due now. Calling it again refreshes the
// collections the system can list and changes nothing else; a stopped
// (disconnected) connection stays stopped.
func (s Internal) ScheduleConnection(ctx context.Context, req *syncv1.ScheduleConnectionRequest) (*syncv1.ScheduleConnectionResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	available := dedupe(req.GetCollections())
	if len(available) == 0 {
		available = KnownCollections
	}
	now := s.engine.Now()
	sc := store.Schedule{
		ConnectionID:      req.GetConnection(),
		AccountID:         req.GetAccount(),
		System:            req.GetSystem(),
		Available:         available,
		NextRunTime:       now,
		NextReconcileTime: now.Add(s.engine.Reconcile()),
		Reported:          "REACHABLE",
		CreateTime:        now,
		UpdateTime:        now,
	}
	defaults := store.Settings{ConnectionID: req.GetConnection(), AccountID: req.GetAccount(), Interval: DefaultInterval, UpdateTime: now}
	if err := s.store.EnsureSchedule(ctx, sc, defaults, true); err != nil {
		return nil, err
	}
	s.engine.Wake()
	return &syncv1.ScheduleConnectionResponse{}, nil
}

// StopConnection stops a connection's schedule and cancels its runs; it
// returns once no run of the connection is executing on any replica.
func (s Internal) StopConnection(ctx context.Context, req *syncv1.StopConnectionRequest) (*syncv1.StopConnectionResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	n, err := s.engine.StopConnection(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	return &syncv1.StopConnectionResponse{Cancelled: int32(n)}, nil
}

// Nudge makes a connection's next run due now and resets its backoff.
func (s Internal) Nudge(ctx context.Context, req *syncv1.NudgeRequest) (*syncv1.NudgeResponse, error) {
	if err := requireInternal(ctx); err != nil {
		return nil, err
	}
	err := s.store.Nudge(ctx, req.GetConnection(), s.engine.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.NotFound, "connection %q is not scheduled for sync", req.GetConnection()).With("connection", req.GetConnection())
	}
	if err != nil {
		return nil, err
	}
	s.engine.Wake()
	return &syncv1.NudgeResponse{}, nil
}
