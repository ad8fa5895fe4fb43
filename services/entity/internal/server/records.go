package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/pagetoken"
)

// target is a connection the request may use, with its system.
type target struct {
	conn   *connectionv1.Connection
	system *entityv1.System
	impl   connector.Connector
}

// connectionOf returns the request's connection, which authentication has
// already checked the caller may use.
func (s *Server) connectionOf(ctx context.Context) (target, error) {
	p, ok := auth.From(ctx)
	if !ok || p.Connection == nil {
		return target{}, apierr.New(apierr.PermissionDenied, "the credential may not use this connection")
	}
	impl, ok := s.connectors[p.Connection.GetSystem()]
	if !ok {
		return target{}, apierr.New(apierr.Internal, "no connector for system %q", p.Connection.GetSystem())
	}
	return target{conn: p.Connection, system: impl.Describe(), impl: impl}, nil
}

type secrets struct {
	target target
	cfg    connector.Config
}

// connectionSecrets loads a connection for an internal call, which carries
// no user principal.
func (s *Server) connectionSecrets(ctx context.Context, id string) (secrets, error) {
	resp, err := s.connections.GetConnectionSecrets(ctx, &connectionv1.GetConnectionSecretsRequest{Connection: id})
	if err != nil {
		return secrets{}, err
	}
	c := resp.GetConnection()
	impl, ok := s.connectors[c.GetSystem()]
	if !ok {
		return secrets{}, apierr.New(apierr.Internal, "no connector for system %q", c.GetSystem())
	}
	t := target{conn: c, system: impl.Describe(), impl: impl}
	if err := reachable(c); err != nil {
		return secrets{}, err
	}
	return secrets{target: t, cfg: connector.Config{Connection: id, Settings: c.GetSettings(), Credentials: resp.GetCredentials()}}, nil
}

// reachable refuses calls to the system of a connection disconnected or
// being deleted: it has only its stored data.
func reachable(c *connectionv1.Connection) error {
	if c.GetStatus() == connectionv1.Connection_DISCONNECTED || c.GetStatus() == connectionv1.Connection_DELETING {
		return apierr.New(apierr.ConnectionDisconnected, "connection %s is %s", c.GetId(), c.GetStatus()).With("connection", c.GetId())
	}
	return nil
}

// live returns the connection's connector config (with its credentials), for
// a call to the system: the one kept for the connection as authentication
// read it (see configs), or else the connection service's.
func (s *Server) live(ctx context.Context, t target) (connector.Config, error) {
	if err := reachable(t.conn); err != nil {
		return connector.Config{}, err
	}
	if t.conn.GetUpdateTime() != nil {
		if cfg, ok := s.configs.get(t.conn.GetId(), t.conn.GetUpdateTime().AsTime()); ok {
			return cfg, nil
		}
	}
	sec, err := s.connectionSecrets(ctx, t.conn.GetId())
	if err != nil {
		return connector.Config{}, err
	}
	if read := sec.target.conn.GetUpdateTime(); read != nil {
		s.configs.put(t.conn.GetId(), read.AsTime(), sec.cfg)
	}
	return sec.cfg, nil
}

type listRequest interface {
	GetPageSize() int32
	GetPageToken() string
	GetFilter() string
	GetOrderBy() string
	GetShowDeleted() bool
	GetView() entityv1.View
	GetConsistency() entityv1.Consistency
}

type listCursor struct {
	Store *store.Cursor `json:"s,omitempty"`
	Live  string        `json:"l,omitempty"`
}

// list lists a collection, from the store or, with LIVE, from the system.
func list[M proto.Message](ctx context.Context, s *Server, collection string, req listRequest) ([]M, string, error) {
	t, err := s.connectionOf(ctx)
	if err != nil {
		return nil, "", err
	}
	col, _ := model.ByName(collection)
	size, err := pagetoken.PageSize(req.GetPageSize(), 100, 1000)
	if err != nil {
		return nil, "", err
	}
	filter, err := store.ParseFilter(req.GetFilter(), col.Statuses)
	if err != nil {
		return nil, "", err
	}
	order, err := store.ParseOrderBy(req.GetOrderBy())
	if err != nil {
		return nil, "", err
	}
	full := req.GetView() == entityv1.View_FULL
	scope := fmt.Sprintf("list|%s|%s|%s|%s|%t|%s", t.conn.GetId(), collection, req.GetFilter(), req.GetOrderBy(), req.GetShowDeleted(), req.GetConsistency())
	var cur listCursor
	if req.GetPageToken() != "" {
		if err := s.pages.Decode(scope, req.GetPageToken(), &cur); err != nil {
			return nil, "", err
		}
	}
	if req.GetConsistency() == entityv1.Consistency_LIVE {
		return listLive[M](ctx, s, t, col, req, size, full, scope, cur)
	}
	rows, err := s.store.List(ctx, store.Query{
		Connection: t.conn.GetId(), Collection: collection, Filter: filter, OrderBy: order,
		ShowDeleted: req.GetShowDeleted(), After: cur.Store, Limit: size + 1, RemoteData: full,
	})
	if err != nil {
		return nil, "", err
	}
	rows, next, err := pagetoken.Page(s.pages, scope, rows, size, func(r store.Row) listCursor {
		c := r.CursorFor(order)
		return listCursor{Store: &c}
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]M, 0, len(rows))
	w := wireOf(col)
	var buf []byte
	if !full {
		buf = make([]byte, 0, wrapSize(rows))
	}
	for _, r := range rows {
		var m M
		if full {
			m, err = decode[M](col, r, true)
		} else {
			m, buf, err = wrap[M](w, r, buf)
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, m)
	}
	return out, next, nil
}

func listLive[M proto.Message](ctx context.Context, s *Server, t target, col *model.Collection, req listRequest, size int, full bool, scope string, cur listCursor) ([]M, string, error) {
	if req.GetFilter() != "" || req.GetOrderBy() != "" {
		return nil, "", apierr.InvalidFields(apierr.FieldViolation{Field: "filter", Description: "filter and order_by apply to the synced store; leave them empty with consistency LIVE"})
	}
	if err := requireOp(t.system, col.Name, entityv1.CollectionCapability_LIST); err != nil {
		return nil, "", err
	}
	cfg, err := s.live(ctx, t)
	if err != nil {
		return nil, "", err
	}
	page, err := t.impl.ListChanges(ctx, cfg, connector.ListRequest{Collection: col.Name, PageToken: cur.Live, PageSize: size})
	if err != nil {
		return nil, "", err
	}
	out := make([]M, 0, len(page.Records))
	for _, r := range page.Records {
		m, err := s.fromSystem(t.conn.GetId(), col, r, full)
		if err != nil {
			return nil, "", err
		}
		out = append(out, m.(M))
	}
	var next string
	if page.NextPageToken != "" {
		if next, err = s.pages.Encode(scope, listCursor{Live: page.NextPageToken}); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

type getRequest interface {
	GetId() string
	GetView() entityv1.View
	GetConsistency() entityv1.Consistency
}

// get returns one record, from the store or, with LIVE, from the system.
func get[M proto.Message](ctx context.Context, s *Server, collection string, req getRequest) (M, error) {
	var zero M
	t, err := s.connectionOf(ctx)
	if err != nil {
		return zero, err
	}
	col, _ := model.ByName(collection)
	row, err := s.row(ctx, t, col, "id", req.GetId())
	if err != nil {
		return zero, err
	}
	full := req.GetView() == entityv1.View_FULL
	if req.GetConsistency() != entityv1.Consistency_LIVE {
		if full {
			return decode[M](col, row, true)
		}
		m, _, err := wrap[M](wireOf(col), row, nil)
		return m, err
	}
	if err := requireOp(t.system, collection, entityv1.CollectionCapability_GET); err != nil {
		return zero, err
	}
	cfg, err := s.live(ctx, t)
	if err != nil {
		return zero, err
	}
	r, err := t.impl.Get(ctx, cfg, collection, row.RemoteID)
	if err != nil {
		return zero, err
	}
	m, err := s.fromSystem(t.conn.GetId(), col, r, full)
	if err != nil {
		return zero, err
	}
	return m.(M), nil
}

// row returns a stored record by id; a missing one is NOT_FOUND naming field.
func (s *Server) row(ctx context.Context, t target, col *model.Collection, field, id string) (store.Row, error) {
	r, err := s.store.Get(ctx, t.conn.GetId(), col.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Row{}, apierr.New(apierr.NotFound, "%s: no %s with id %q in connection %s", field, col.Name, id, t.conn.GetId()).
			With("connection", t.conn.GetId()).With("field", field)
	}
	return r, err
}

// decode turns a stored row into its message.
func decode[M proto.Message](col *model.Collection, r store.Row, full bool) (M, error) {
	var zero M
	m := col.New()
	if err := proto.Unmarshal(r.Data, m); err != nil {
		return zero, err
	}
	// The row's times are the truth: a tombstone changes them without
	// rewriting the record.
	model.SetTime(m, model.FieldCreateTime, r.CreateTime)
	model.SetTime(m, model.FieldUpdateTime, r.UpdateTime)
	model.SetTime(m, model.FieldDeleteTime, r.DeleteTime)
	if full {
		if err := setRemoteData(m, r.RemoteData); err != nil {
			return zero, err
		}
	}
	return m.(M), nil
}

// setRemoteData sets a message's remote_data from the system's JSON object;
// nothing when raw is empty.
func setRemoteData(m proto.Message, raw []byte) error {
	if len(raw) == 0 {
		return nil
	}
	st := &structpb.Struct{}
	if err := st.UnmarshalJSON(raw); err != nil {
		return err
	}
	model.SetStruct(m, model.FieldRemoteData, st)
	return nil
}

// fromSystem turns a connector record into a unified message with
// Millwright's ids, without storing it. The message is the record's own,
// changed in place: a record comes fresh from the connector protocol.
func (s *Server) fromSystem(connection string, col *model.Collection, r *connectorv1.Record, full bool) (proto.Message, error) {
	m := col.FromRecord(r)
	if m == nil {
		return nil, apierr.New(apierr.Internal, "the connector returned a %s record for %s", r.GetCollection(), col.Name)
	}
	if err := col.MapRefs(m, func(target *model.Collection, _, remote string) (string, error) {
		return target.ID(connection, remote), nil
	}); err != nil {
		return nil, err
	}
	model.SetString(m, model.FieldID, col.ID(connection, r.GetRemoteId()))
	model.SetString(m, model.FieldRemoteID, r.GetRemoteId())
	model.SetString(m, model.FieldConnection, connection)
	if r.GetRemoteUpdateTime() != nil {
		model.SetTime(m, model.FieldRemoteUpdateTime, r.GetRemoteUpdateTime().AsTime())
	}
	model.Clear(m, model.FieldRemoteData)
	if full {
		if err := setRemoteData(m, r.GetRemoteJson()); err != nil {
			return nil, apierr.New(apierr.ConnectedSystemError, "the connector's remote data of %s %q is not a JSON object: %v", col.Name, r.GetRemoteId(), err)
		}
	}
	return m, nil
}

// changes are what an ingest stored.
type changes struct {
	Seen, Created, Updated, Deleted int64
}

// ingest stores records a connector returned (prepare, then save).
func (s *Server) ingest(ctx context.Context, connection string, col *model.Collection, records []*connectorv1.Record, deleted []string, then func(tx *store.Tx, written []store.Row) error) (changes, error) {
	rows, err := s.prepare(connection, col, records)
	if err != nil {
		return changes{}, err
	}
	return s.save(ctx, connection, col, rows, deleted, then)
}

// prepare makes records a connector returned ready to store, without
// touching the store: mapped to Millwright's ids, encoded without their
// times (save appends those) and hashed with their remote data. A sync
// prepares a page while the page before it is saved.
func (s *Server) prepare(connection string, col *model.Collection, records []*connectorv1.Record) ([]store.Row, error) {
	rows := make([]store.Row, 0, len(records))
	// The page's encodings share a buffer, each followed by room for the
	// times save appends (so that it need not copy the record), and its
	// hashes another.
	buf := make([]byte, 0, len(records)*768)
	hashes := make([]byte, 0, len(records)*sha256.Size)
	h := sha256.New()
	for _, r := range records {
		m, err := s.fromSystem(connection, col, r, false)
		if err != nil {
			return nil, err
		}
		raw := r.GetRemoteJson()
		if len(raw) > 0 && !connector.ValidJSON(raw) {
			return nil, apierr.New(apierr.ConnectedSystemError, "the connector's remote data of %s %q is not JSON", col.Name, r.GetRemoteId())
		}
		// The times are the store's: save appends them to the encoding.
		model.Clear(m, model.FieldCreateTime)
		model.Clear(m, model.FieldUpdateTime)
		model.Clear(m, model.FieldDeleteTime)
		start := len(buf)
		buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf, m)
		if err != nil {
			return nil, err
		}
		end := len(buf)
		buf = slices.Grow(buf, timesRoom)[:end+timesRoom]
		h.Reset()
		h.Write(buf[start:end])
		h.Write(raw)
		at := len(hashes)
		hashes = h.Sum(hashes)
		rows = append(rows, store.Row{ID: model.GetString(m, model.FieldID), Connection: connection, Collection: col.Name,
			RemoteID: r.GetRemoteId(), Status: col.Status(m), Hash: hashes[at:len(hashes):len(hashes)], Data: buf[start : end : end+timesRoom], RemoteData: raw})
	}
	return rows, nil
}

// timesRoom is room for what save appends to a record's encoding: three
// times, each at most 20 bytes (see appendTime).
const timesRoom = 3 * 20

// save stores prepared rows (and tombstones the keys the system reports
// deleted) in one transaction, with one event per created, changed or
// deleted record in the store's outbox, which the relay ships to the
// connection service. then, when not nil, runs last in the transaction,
// with the rows the upsert wrote (created or changed).
func (s *Server) save(ctx context.Context, connection string, col *model.Collection, rows []store.Row, deleted []string, then func(tx *store.Tx, written []store.Row) error) (changes, error) {
	now := db.Now()
	w := wireOf(col)
	// A row's encoding, followed by its times, is the message with them
	// set: prepare left them out.
	encode := func(row *store.Row) error {
		row.Data = appendTime(appendTime(appendTime(row.Data, w.created, row.CreateTime), w.updated, row.UpdateTime), w.deleted, row.DeleteTime)
		return nil
	}
	var ch changes
	err := s.store.Transact(ctx, func(tx *store.Tx) error {
		created, updated, err := tx.Upsert(ctx, rows, now, encode)
		if err != nil {
			return err
		}
		var gone []store.Row
		if len(deleted) > 0 {
			ids := make([]string, len(deleted))
			for i, remote := range deleted {
				ids[i] = col.ID(connection, remote)
			}
			if gone, err = tx.Tombstone(ctx, connection, col.Name, ids, now); err != nil {
				return err
			}
		}
		ch = changes{Seen: int64(len(rows)), Created: int64(len(created)), Updated: int64(len(updated)), Deleted: int64(len(gone))}
		if then != nil {
			return then(tx, append(created, updated...))
		}
		return nil
	})
	if err != nil {
		return changes{}, err
	}
	return ch, nil
}

// idempotent runs a write once per request_id: a retry with the same
// request returns the first result; the same request_id with another
// request is refused. write must store its result with stored, which keeps
// it as the request's response in the same transaction.
func idempotent[M proto.Message](ctx context.Context, s *Server, connection string, req proto.Message, requestID string, write func() (M, error)) (M, error) {
	var zero M
	if requestID == "" {
		return write()
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return zero, err
	}
	sum := sha256.Sum256(append([]byte(string(req.ProtoReflect().Descriptor().FullName())+"\x00"), body...))
	prev, err := s.store.Begin(ctx, connection, requestID, sum[:], db.Now())
	switch {
	case errors.Is(err, store.ErrRequestIDReused):
		return zero, apierr.New(apierr.RequestIDReused, "request_id %q was used for a different request; use a new request_id for a new write", requestID).With("request_id_reused", requestID)
	case errors.Is(err, store.ErrInProgress):
		return zero, apierr.New(apierr.Conflict, "a request with request_id %q is still in progress; retry shortly", requestID)
	case err != nil:
		return zero, err
	case prev != nil:
		var out M
		out = out.ProtoReflect().New().Interface().(M)
		return out, proto.Unmarshal(prev, out)
	}
	out, err := write()
	if err != nil {
		if abandonErr := s.store.Abandon(ctx, connection, requestID); abandonErr != nil {
			s.log.WarnContext(ctx, "abandon idempotency claim", "error", abandonErr)
		}
		return zero, err
	}
	return out, nil
}

// toSystem turns links of a message to write from Millwright ids into the
// system's keys; an unknown id is INVALID_ARGUMENT naming the field.
func (s *Server) toSystem(ctx context.Context, t target, col *model.Collection, m proto.Message) error {
	return col.MapRefs(m, func(target *model.Collection, path, id string) (string, error) {
		r, err := s.store.Get(ctx, t.conn.GetId(), target.Name, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", apierr.InvalidFields(apierr.FieldViolation{Field: path, Description: fmt.Sprintf("no %s with id %q in this connection", target.Name, id)})
		}
		if err != nil {
			return "", err
		}
		return r.RemoteID, nil
	})
}
