package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/pagetoken"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// CreateConnection connects a system. Checks run in this order, and each
// failure stores nothing and spends nothing: the fields against the
// system's schema, the credits, then the system itself.
func (s *Server) CreateConnection(ctx context.Context, req *connectionv1.CreateConnectionRequest) (*connectionv1.CreateConnectionResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, account, req.GetConnection(), req.GetRequestId(), "")
}

// create makes a connection; previous names the one it reconnects.
func (s *Server) create(ctx context.Context, account string, in *connectionv1.Connection, requestID, previous string) (*connectionv1.CreateConnectionResponse, error) {
	if requestID != "" {
		prev, err := s.store.ConnectionByRequestID(ctx, account, requestID)
		if err == nil {
			return s.replay(prev, in)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	sys, err := s.catalog.system(ctx, in.GetSystem())
	if err != nil {
		return nil, err
	}
	if bad := checkFields(sys, in.GetSettings(), in.GetCredentials()); len(bad) > 0 {
		return nil, apierr.InvalidFields(bad...)
	}
	a, err := s.store.GetAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	if avail := a.CreditLimit - a.CreditsUsed; int(sys.GetCredits()) > avail {
		return nil, insufficient(int(sys.GetCredits()), max(avail, 0))
	}
	if _, err := s.entities.CheckConnection(ctx, &entityv1.CheckConnectionRequest{System: sys.GetId(), Settings: in.GetSettings(), Credentials: in.GetCredentials()}); err != nil {
		return nil, err
	}

	now := db.Now()
	token := secret.NewToken(secret.ConnectionTokenPrefix)
	c := store.Connection{
		ID:                 ids.New("conn"),
		AccountID:          account,
		System:             sys.GetId(),
		DisplayName:        in.GetDisplayName(),
		Settings:           in.GetSettings(),
		Metadata:           in.GetMetadata(),
		Status:             store.StatusActive,
		Credits:            int(sys.GetCredits()),
		PreviousConnection: previous,
		TokenHash:          secret.Hash(token),
		RequestID:          requestID,
		CreateTime:         now,
		UpdateTime:         now,
		StatusTime:         now,
	}
	if c.DisplayName == "" {
		c.DisplayName = sys.GetDisplayName()
	}
	if c.SealedCredentials, err = s.sealCredentials(c.ID, in.GetCredentials()); err != nil {
		return nil, err
	}
	events := []store.Event{}
	ev, err := newEvent(c, "connection.created", map[string]any{"system": c.System, "status": c.Status, "previous_connection": previous})
	if err != nil {
		return nil, err
	}
	events = append(events, ev)
	if previous != "" {
		if ev, err = newEvent(c, "connection.reconnected", map[string]any{"system": c.System, "previous_connection": previous}); err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	err = s.store.CreateConnection(ctx, c, events...)
	var short store.ErrInsufficientCredits
	switch {
	case errors.As(err, &short):
		return nil, insufficient(short.Needed, short.Available)
	case db.IsUniqueViolation(err) && requestID != "":
		prev, err := s.store.ConnectionByRequestID(ctx, account, requestID)
		if err != nil {
			return nil, err
		}
		return s.replay(prev, in)
	case err != nil:
		return nil, err
	}
	var collections []string
	for _, cap := range sys.GetCapabilities() {
		if slices.Contains(cap.GetOperations(), entityv1.CollectionCapability_LIST) {
			collections = append(collections, cap.GetCollection())
		}
	}
	if _, err := s.sync.ScheduleConnection(ctx, &syncv1.ScheduleConnectionRequest{Connection: c.ID, Account: account, System: c.System, Collections: collections}); err != nil {
		s.log.ErrorContext(ctx, "schedule the new connection's sync", "connection", c.ID, "error", err)
	}
	return &connectionv1.CreateConnectionResponse{Connection: connectionProto(c), Token: token}, nil
}

// replay answers a retried create: the same connection, without its token,
// which is shown only once (rotate it if the first answer was lost). The
// same request_id with another system is refused.
func (s *Server) replay(prev store.Connection, in *connectionv1.Connection) (*connectionv1.CreateConnectionResponse, error) {
	if prev.System != in.GetSystem() {
		return nil, apierr.New(apierr.RequestIDReused, "request_id was used for another request (a %s connection)", prev.System).With("connection", prev.ID)
	}
	return &connectionv1.CreateConnectionResponse{Connection: connectionProto(prev)}, nil
}

func insufficient(needed, available int) error {
	return apierr.New(apierr.InsufficientCredits, "this system needs %d credits and the account has %d available; disconnect a connection or raise the limit", needed, available).
		With("needed", strconv.Itoa(needed)).With("available", strconv.Itoa(available))
}

// GetConnection returns one of the account's connections.
func (s *Server) GetConnection(ctx context.Context, req *connectionv1.GetConnectionRequest) (*connectionv1.GetConnectionResponse, error) {
	c, err := s.ownConnection(ctx, req.GetConnection())
	if err != nil {
		return nil, err
	}
	return &connectionv1.GetConnectionResponse{Connection: connectionProto(c)}, nil
}

// ownConnection returns a connection of the calling account. Another
// account's connection, or none, is PERMISSION_DENIED alike.
func (s *Server) ownConnection(ctx context.Context, id string) (store.Connection, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return store.Connection{}, err
	}
	c, err := s.store.GetConnection(ctx, account, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, denied(id)
	}
	return c, err
}

type connectionCursor struct {
	Before string `json:"b"`
}

// ListConnections lists the account's connections, newest first.
func (s *Server) ListConnections(ctx context.Context, req *connectionv1.ListConnectionsRequest) (*connectionv1.ListConnectionsResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	size, err := pagetoken.PageSize(req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	status := ""
	if req.GetStatus() != connectionv1.Connection_STATUS_UNSPECIFIED {
		status = req.GetStatus().String()
	}
	scope := "connections|" + account + "|" + status + "|" + req.GetSystem()
	var cur connectionCursor
	if req.GetPageToken() != "" {
		if err := s.pages.Decode(scope, req.GetPageToken(), &cur); err != nil {
			return nil, err
		}
	}
	rows, err := s.store.ListConnections(ctx, store.ConnectionFilter{AccountID: account, Status: status, System: req.GetSystem(), Before: cur.Before, Limit: size + 1})
	if err != nil {
		return nil, err
	}
	rows, next, err := pagetoken.Page(s.pages, scope, rows, size, func(c store.Connection) connectionCursor { return connectionCursor{Before: c.ID} })
	if err != nil {
		return nil, err
	}
	resp := &connectionv1.ListConnectionsResponse{NextPageToken: next}
	for _, c := range rows {
		resp.Connections = append(resp.Connections, connectionProto(c))
	}
	return resp, nil
}

type eventCursor struct {
	After int64 `json:"a"`
}

// ListEvents lists the account's events in order, or newest first.
func (s *Server) ListEvents(ctx context.Context, req *connectionv1.ListEventsRequest) (*connectionv1.ListEventsResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	size, err := pagetoken.PageSize(req.GetPageSize(), 100, 1000)
	if err != nil {
		return nil, err
	}
	var desc bool
	switch strings.Join(strings.Fields(req.GetOrderBy()), " ") {
	case "", "create_time":
	case "create_time desc":
		desc = true
	default:
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "order_by", Description: "must be create_time or create_time desc"})
	}
	scope := "events|" + account + "|" + req.GetType() + "|" + req.GetConnection() + "|" + strconv.FormatBool(desc)
	var cur eventCursor
	if req.GetPageToken() != "" {
		if err := s.pages.Decode(scope, req.GetPageToken(), &cur); err != nil {
			return nil, err
		}
	}
	rows, err := s.store.ListEvents(ctx, store.EventFilter{AccountID: account, Type: req.GetType(), ConnectionID: req.GetConnection(), AfterSeq: cur.After, Desc: desc, Limit: size + 1})
	if err != nil {
		return nil, err
	}
	rows, next, err := pagetoken.Page(s.pages, scope, rows, size, func(e store.Event) eventCursor { return eventCursor{After: e.Seq} })
	if err != nil {
		return nil, err
	}
	resp := &connectionv1.ListEventsResponse{NextPageToken: next}
	for _, e := range rows {
		ev, err := eventProto(e)
		if err != nil {
			return nil, err
		}
		resp.Events = append(resp.Events, ev)
	}
	return resp, nil
}

func newEvent(c store.Connection, typ string, data map[string]any) (store.Event, error) {
	st, err := structpb.NewStruct(data)
	if err != nil {
		return store.Event{}, err
	}
	b, err := st.MarshalJSON()
	if err != nil {
		return store.Event{}, err
	}
	return store.Event{ID: ids.New("evt"), AccountID: c.AccountID, ConnectionID: c.ID, Type: typ, Data: string(b), CreateTime: db.Now()}, nil
}
