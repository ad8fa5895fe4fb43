// Package server implements the sync service's gRPC APIs: the public
// SyncService (settings, runs, status) and the internal SyncInternalService
// the connection service calls. Handlers are thin: authorize, validate, call
// the store or the engine, convert.
package server

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/pagetoken"
	"github.com/millwright-dev/millwright/services/platform/secret"
	"github.com/millwright-dev/millwright/services/sync/internal/engine"
	"github.com/millwright-dev/millwright/services/sync/internal/store"
)

// Deps are the server's dependencies.
type Deps struct {
	Store  *store.Store
	Engine *engine.Engine
	Key    secret.Key
	Log    *slog.Logger
	// Entities counts records for GetSyncStatus.
	Entities entityv1.EntityInternalServiceClient
}

// Server is the sync service's public API.
type Server struct {
	syncv1.UnimplementedSyncServiceServer

	store    *store.Store
	engine   *engine.Engine
	pages    pagetoken.Codec
	entities entityv1.EntityInternalServiceClient
}

// New returns the server.
func New(d Deps) *Server {
	return &Server{store: d.Store, engine: d.Engine, pages: pagetoken.New(d.Key), entities: d.Entities}
}

// Limits of the settings.
const (
	MinInterval     = time.Minute
	MaxInterval     = 24 * time.Hour
	DefaultInterval = engine.DefaultInterval
)

// KnownCollections are the unified model's collections: what a connection
// may sync when the connection service did not say which collections its
// system can list.
var KnownCollections = []string{"workOrders", "assets", "locations", "parts", "inventoryLevels", "purchaseOrders", "vendors", "users"}

// caller is who calls about a connection.
type caller struct {
	connection   string
	account      string // empty for an internal call
	disconnected bool
}

// authorize returns the caller of a request about a connection. The auth
// interceptor has already asked the connection service whether the
// credential may use the request's connection (a top-level field, or the
// resource's, as in UpdateSyncSettings); internal callers may use every
// connection.
func (s *Server) authorize(ctx context.Context, connection string) (caller, error) {
	p, ok := auth.From(ctx)
	if !ok {
		return caller{}, apierr.New(apierr.InvalidToken, "missing or invalid credential")
	}
	if p.Internal {
		return caller{connection: connection}, nil
	}
	c := p.Connection
	if c == nil || c.GetId() != connection {
		return caller{}, apierr.New(apierr.PermissionDenied, "the credential may not use connection %q", connection).With("connection", connection)
	}
	return caller{connection: connection, account: p.Account, disconnected: c.GetStatus() == connectionv1.Connection_DISCONNECTED}, nil
}

func disconnected(connection string) error {
	return apierr.New(apierr.ConnectionDisconnected, "connection %q is disconnected: its syncs are stopped; its synced data stays readable", connection).
		With("connection", connection)
}

// settings returns a connection's settings, or the defaults.
func (s *Server) settings(ctx context.Context, connection, account string) (store.Settings, error) {
	st, err := s.store.GetSettings(ctx, connection)
	if errors.Is(err, store.ErrNotFound) {
		return store.Settings{ConnectionID: connection, AccountID: account, Interval: DefaultInterval}, nil
	}
	return st, err
}

// available returns the collections a connection's system can list.
func (s *Server) available(ctx context.Context, connection string) ([]string, error) {
	sc, err := s.store.GetSchedule(ctx, connection)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && len(sc.Available) == 0):
		return KnownCollections, nil
	case err != nil:
		return nil, err
	}
	return sc.Available, nil
}

// GetSyncSettings returns a connection's sync settings.
func (s *Server) GetSyncSettings(ctx context.Context, req *syncv1.GetSyncSettingsRequest) (*syncv1.GetSyncSettingsResponse, error) {
	c, err := s.authorize(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	st, err := s.settings(ctx, c.connection, c.account)
	if err != nil {
		return nil, err
	}
	return &syncv1.GetSyncSettingsResponse{SyncSettings: settingsProto(st)}, nil
}

// UpdateSyncSettings changes the fields of a connection's settings that the
// update mask names (or, without a mask, those the request sets). A field
// named in the mask but unset goes back to its default.
func (s *Server) UpdateSyncSettings(ctx context.Context, req *syncv1.UpdateSyncSettingsRequest) (*syncv1.UpdateSyncSettingsResponse, error) {
	in := req.GetSyncSettings()
	if in.GetConnection() == "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "sync_settings.connection", Description: "is required"})
	}
	c, err := s.authorize(ctx, in.GetConnection())
	if err != nil {
		return nil, err
	}
	if c.disconnected {
		return nil, disconnected(c.connection)
	}
	paths, err := maskPaths(req, in)
	if err != nil {
		return nil, err
	}
	st, err := s.settings(ctx, c.connection, c.account)
	if err != nil {
		return nil, err
	}
	if st.AccountID == "" {
		st.AccountID = c.account
	}
	var bad []apierr.FieldViolation
	for _, p := range paths {
		switch p {
		case "interval":
			st.Interval = DefaultInterval
			if in.GetInterval() != nil {
				st.Interval = in.GetInterval().AsDuration()
				if err := in.GetInterval().CheckValid(); err != nil || st.Interval < MinInterval || st.Interval > MaxInterval {
					bad = append(bad, apierr.FieldViolation{Field: "sync_settings.interval", Description: "must be from 1 minute (60s) to 24 hours (86400s)"})
				}
			}
		case "history_window":
			st.HistoryWindow = 0
			if in.GetHistoryWindow() != nil {
				st.HistoryWindow = in.GetHistoryWindow().AsDuration()
				if err := in.GetHistoryWindow().CheckValid(); err != nil || st.HistoryWindow < 0 {
					bad = append(bad, apierr.FieldViolation{Field: "sync_settings.history_window", Description: "must be positive, or empty for the whole history"})
				}
			}
		case "collections":
			available, err := s.available(ctx, c.connection)
			if err != nil {
				return nil, err
			}
			var v *apierr.FieldViolation
			st.Collections, v = chooseCollections("sync_settings.collections", in.GetCollections(), available)
			if v != nil {
				bad = append(bad, *v)
			}
		}
	}
	if len(bad) > 0 {
		return nil, apierr.InvalidFields(bad...)
	}
	st.UpdateTime = s.engine.Now()
	if err := s.store.PutSettings(ctx, st); err != nil {
		return nil, err
	}
	return &syncv1.UpdateSyncSettingsResponse{SyncSettings: settingsProto(st)}, nil
}

var settingsFields = []string{"interval", "collections", "history_window"}

// maskPaths returns the settings fields an update changes.
func maskPaths(req *syncv1.UpdateSyncSettingsRequest, in *syncv1.SyncSettings) ([]string, error) {
	if req.GetUpdateMask() == nil || len(req.GetUpdateMask().GetPaths()) == 0 {
		var paths []string
		if in.GetInterval() != nil {
			paths = append(paths, "interval")
		}
		if len(in.GetCollections()) > 0 {
			paths = append(paths, "collections")
		}
		if in.GetHistoryWindow() != nil {
			paths = append(paths, "history_window")
		}
		return paths, nil
	}
	var paths []string
	for _, p := range req.GetUpdateMask().GetPaths() {
		if p == "*" {
			return settingsFields, nil
		}
		if !slices.Contains(settingsFields, p) {
			return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "update_mask", Description: "unknown field " + p + "; the fields are interval, collections and history_window"})
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// chooseCollections validates chosen collections against those the system
// can list, dropping duplicates.
func chooseCollections(field string, chosen, available []string) ([]string, *apierr.FieldViolation) {
	var out []string
	for _, c := range chosen {
		if !slices.Contains(available, c) {
			return nil, &apierr.FieldViolation{Field: field, Description: "unknown collection " + c + "; this system can sync " + strings.Join(available, ", ")}
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// RunSync queues a run now. A request_id makes a retry return the first
// run.
func (s *Server) RunSync(ctx context.Context, req *syncv1.RunSyncRequest) (*syncv1.RunSyncResponse, error) {
	c, err := s.authorize(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	mode := store.ModeIncremental
	switch req.GetMode() {
	case syncv1.SyncRun_MODE_UNSPECIFIED, syncv1.SyncRun_INCREMENTAL:
	case syncv1.SyncRun_FULL:
		mode = store.ModeFull
	default:
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "mode", Description: "must be INCREMENTAL or FULL"})
	}
	if req.GetRequestId() != "" {
		prev, err := s.store.RunByRequestID(ctx, c.connection, req.GetRequestId())
		if err == nil {
			return replay(prev, mode, req.GetCollections())
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if c.disconnected {
		return nil, disconnected(c.connection)
	}
	sc, err := s.schedule(ctx, c)
	if err != nil {
		return nil, err
	}
	if sc.Stopped {
		return nil, disconnected(c.connection)
	}
	available := sc.Available
	if len(available) == 0 {
		available = KnownCollections
	}
	st, err := s.settings(ctx, c.connection, sc.AccountID)
	if err != nil {
		return nil, err
	}
	collections := engine.Effective(st.Collections, available)
	if len(req.GetCollections()) > 0 {
		var v *apierr.FieldViolation
		if collections, v = chooseCollections("collections", req.GetCollections(), available); v != nil {
			return nil, apierr.InvalidFields(*v)
		}
	}
	r := store.Run{
		ID:           ids.New("run"),
		ConnectionID: c.connection,
		AccountID:    sc.AccountID,
		Mode:         mode,
		Manual:       true,
		Collections:  collections,
		State:        store.StateQueued,
		RequestID:    req.GetRequestId(),
		CreateTime:   s.engine.Now(),
	}
	err = s.store.CreateRun(ctx, r)
	switch {
	case errors.Is(err, store.ErrStopped):
		return nil, disconnected(c.connection)
	case db.IsUniqueViolation(err) && req.GetRequestId() != "":
		prev, err := s.store.RunByRequestID(ctx, c.connection, req.GetRequestId())
		if err != nil {
			return nil, err
		}
		return replay(prev, mode, req.GetCollections())
	case err != nil:
		return nil, err
	}
	s.engine.Wake()
	return &syncv1.RunSyncResponse{SyncRun: runProto(r)}, nil
}

// replay answers a retried RunSync with the run it first made; the same
// request_id with another mode or other collections is refused.
func replay(prev store.Run, mode string, collections []string) (*syncv1.RunSyncResponse, error) {
	if prev.Mode != mode || (len(collections) > 0 && !slices.Equal(dedupe(collections), prev.Collections)) {
		return nil, apierr.New(apierr.RequestIDReused, "request_id was used for another RunSync request (run %s)", prev.ID).With("run", prev.ID)
	}
	return &syncv1.RunSyncResponse{SyncRun: runProto(prev)}, nil
}

func dedupe(l []string) []string {
	var out []string
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// schedule returns a connection's schedule. A connection the connection
// service never scheduled (created before the sync service ran, say) is
// scheduled now, with every collection of the unified model, on behalf of
// its account.
func (s *Server) schedule(ctx context.Context, c caller) (store.Schedule, error) {
	sc, err := s.store.GetSchedule(ctx, c.connection)
	if !errors.Is(err, store.ErrNotFound) {
		return sc, err
	}
	if c.account == "" {
		return store.Schedule{}, apierr.New(apierr.NotFound, "connection %q is not scheduled for sync", c.connection).With("connection", c.connection)
	}
	now := s.engine.Now()
	sc = store.Schedule{
		ConnectionID:      c.connection,
		AccountID:         c.account,
		Available:         KnownCollections,
		NextRunTime:       now.Add(DefaultInterval),
		NextReconcileTime: now.Add(s.engine.Reconcile()),
		Reported:          "REACHABLE",
		CreateTime:        now,
		UpdateTime:        now,
	}
	defaults := store.Settings{ConnectionID: c.connection, AccountID: c.account, Interval: DefaultInterval, UpdateTime: now}
	if err := s.store.EnsureSchedule(ctx, sc, defaults, false); err != nil {
		return store.Schedule{}, err
	}
	return s.store.GetSchedule(ctx, c.connection)
}

type runCursor struct {
	Before string `json:"b"`
}

// ListSyncRuns lists a connection's runs, newest first.
func (s *Server) ListSyncRuns(ctx context.Context, req *syncv1.ListSyncRunsRequest) (*syncv1.ListSyncRunsResponse, error) {
	c, err := s.authorize(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	size, err := pagetoken.PageSize(req.GetPageSize(), 20, 200)
	if err != nil {
		return nil, err
	}
	scope := "syncRuns|" + c.connection
	var cur runCursor
	if req.GetPageToken() != "" {
		if err := s.pages.Decode(scope, req.GetPageToken(), &cur); err != nil {
			return nil, err
		}
	}
	rows, err := s.store.ListRuns(ctx, c.connection, cur.Before, size+1)
	if err != nil {
		return nil, err
	}
	rows, next, err := pagetoken.Page(s.pages, scope, rows, size, func(r store.Run) runCursor { return runCursor{Before: r.ID} })
	if err != nil {
		return nil, err
	}
	resp := &syncv1.ListSyncRunsResponse{NextPageToken: next}
	for _, r := range rows {
		resp.SyncRuns = append(resp.SyncRuns, runProto(r))
	}
	return resp, nil
}

// GetSyncRun returns one run of a connection.
func (s *Server) GetSyncRun(ctx context.Context, req *syncv1.GetSyncRunRequest) (*syncv1.GetSyncRunResponse, error) {
	c, err := s.authorize(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	r, err := s.store.GetRun(ctx, c.connection, req.GetRun())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.NotFound, "connection %q has no sync run %q", c.connection, req.GetRun()).With("connection", c.connection)
	}
	if err != nil {
		return nil, err
	}
	return &syncv1.GetSyncRunResponse{SyncRun: runProto(r)}, nil
}

// GetSyncStatus returns the sync state of each collection the connection
// syncs.
func (s *Server) GetSyncStatus(ctx context.Context, req *syncv1.GetSyncStatusRequest) (*syncv1.GetSyncStatusResponse, error) {
	c, err := s.authorize(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	sc, err := s.store.GetSchedule(ctx, c.connection)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	available := sc.Available
	if len(available) == 0 {
		available = KnownCollections
	}
	st, err := s.settings(ctx, c.connection, c.account)
	if err != nil {
		return nil, err
	}
	states, err := s.store.Collections(ctx, c.connection)
	if err != nil {
		return nil, err
	}
	if s.entities == nil {
		return nil, apierr.New(apierr.Unavailable, "record counts are unavailable: the sync service has no entity service client")
	}
	counts, err := s.entities.CountRecords(ctx, &entityv1.CountRecordsRequest{Connection: c.connection})
	if err != nil {
		return nil, err
	}
	resp := &syncv1.GetSyncStatusResponse{Connection: c.connection}
	for _, col := range engine.Effective(st.Collections, available) {
		cs := states[col]
		out := &syncv1.CollectionSyncStatus{
			Collection:          col,
			LastSuccessTime:     timestamp(cs.LastSuccessTime),
			LastErrorTime:       timestamp(cs.LastErrorTime),
			LastError:           cs.LastError,
			ConsecutiveFailures: int32(sc.ConsecutiveFailures),
			BackoffUntil:        timestamp(sc.BackoffUntil),
			RecordCount:         counts.GetCounts()[col],
		}
		if !sc.Stopped {
			out.NextRunTime = timestamp(sc.NextRunTime)
		}
		resp.Collections = append(resp.Collections, out)
	}
	return resp, nil
}

func durationProto(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}
