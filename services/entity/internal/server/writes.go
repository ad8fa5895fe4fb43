package server

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// outputOnly are the fields a write ignores.
var outputOnly = []string{model.FieldID, model.FieldRemoteID, model.FieldConnection, model.FieldCreateTime, model.FieldUpdateTime,
	model.FieldDeleteTime, model.FieldRemoteUpdateTime, model.FieldRemoteData}

func writable(m proto.Message) proto.Message {
	m = proto.Clone(m)
	for _, f := range outputOnly {
		model.Clear(m, f)
	}
	return m
}

// stored stores a record the system just returned and returns its stored
// message. With a request id, the same transaction keeps the message as the
// request's response (see idempotent), so that a write's result, its event
// and its response are committed together.
func stored[M proto.Message](ctx context.Context, s *Server, t target, col *model.Collection, rec *connectorv1.Record, requestID string) (M, error) {
	var out M
	connection := t.conn.GetId()
	id := col.ID(connection, rec.GetRemoteId())
	_, err := s.ingest(ctx, connection, col, []*connectorv1.Record{rec}, nil, func(tx *store.Tx) error {
		row, err := tx.Get(ctx, connection, col.Name, id)
		if err != nil {
			return err
		}
		if out, err = decode[M](col, row, false); err != nil || requestID == "" {
			return err
		}
		resp, err := proto.Marshal(out)
		if err != nil {
			return err
		}
		return tx.Finish(ctx, connection, requestID, resp)
	})
	return out, err
}

// create creates a record in the system, then stores and returns it.
func create[M proto.Message](ctx context.Context, s *Server, collection string, req proto.Message, requestID string, in M) (M, error) {
	var zero M
	t, err := s.connectionOf(ctx)
	if err != nil {
		return zero, err
	}
	col, _ := model.ByName(collection)
	if err := requireOp(t.system, collection, entityv1.CollectionCapability_CREATE); err != nil {
		return zero, err
	}
	m := writable(in)
	if bad := missingFields(col, m, capability(t.system, collection).GetCreateRequiredFields()); len(bad) > 0 {
		return zero, apierr.InvalidFields(bad...).With("system", t.system.GetId())
	}
	return idempotent(ctx, s, t.conn.GetId(), req, requestID, func() (M, error) {
		cfg, err := s.live(ctx, t)
		if err != nil {
			return zero, err
		}
		if err := s.toSystem(ctx, t, col, m); err != nil {
			return zero, err
		}
		rec, err := t.impl.Create(ctx, cfg, col.ToRecord(m), requestID)
		if err != nil {
			return zero, err
		}
		return stored[M](ctx, s, t, col, rec, requestID)
	})
}

// missingFields names each field a system requires on create that m lacks.
func missingFields(col *model.Collection, m proto.Message, required []string) []apierr.FieldViolation {
	var bad []apierr.FieldViolation
	r := m.ProtoReflect()
	for _, name := range required {
		f := r.Descriptor().Fields().ByName(protoreflect.Name(name))
		if f != nil && !r.Has(f) {
			bad = append(bad, apierr.FieldViolation{Field: string(col.Oneof) + "." + name, Description: "is required by this system"})
		}
	}
	return bad
}

// update changes a record's fields in the system, then stores and returns it.
func update[M proto.Message](ctx context.Context, s *Server, collection string, req proto.Message, requestID string, in M, mask []string) (M, error) {
	var zero M
	t, err := s.connectionOf(ctx)
	if err != nil {
		return zero, err
	}
	col, _ := model.ByName(collection)
	if err := requireOp(t.system, collection, entityv1.CollectionCapability_UPDATE); err != nil {
		return zero, err
	}
	row, err := s.row(ctx, t, col, string(col.Oneof)+".id", model.GetString(in, model.FieldID))
	if err != nil {
		return zero, err
	}
	m := writable(in)
	fields, err := updateFields(col, m, mask, capability(t.system, collection).GetUpdatableFields())
	if err != nil {
		return zero, err
	}
	return idempotent(ctx, s, t.conn.GetId(), req, requestID, func() (M, error) {
		cfg, err := s.live(ctx, t)
		if err != nil {
			return zero, err
		}
		if err := s.toSystem(ctx, t, col, m); err != nil {
			return zero, err
		}
		rec := col.ToRecord(m)
		rec.RemoteId = row.RemoteID
		out, err := t.impl.Update(ctx, cfg, rec, fields, requestID)
		if err != nil {
			return zero, err
		}
		return stored[M](ctx, s, t, col, out, requestID)
	})
}

// updateFields returns the fields an update changes: the mask's, or every
// field set in m; each must be one the system can update.
func updateFields(col *model.Collection, m proto.Message, mask, updatable []string) ([]string, error) {
	r := m.ProtoReflect()
	fields := mask
	if len(fields) == 0 {
		r.Range(func(f protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			fields = append(fields, string(f.Name()))
			return true
		})
	}
	if len(fields) == 0 {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "update_mask", Description: "names no field to change"})
	}
	allowed := map[string]bool{}
	for _, f := range updatable {
		allowed[f] = true
	}
	var bad []apierr.FieldViolation
	for _, f := range fields {
		switch {
		case r.Descriptor().Fields().ByName(protoreflect.Name(f)) == nil:
			bad = append(bad, apierr.FieldViolation{Field: "update_mask", Description: fmt.Sprintf("%q is not a field of %s", f, col.Name)})
		case len(updatable) > 0 && !allowed[f]:
			bad = append(bad, apierr.FieldViolation{Field: string(col.Oneof) + "." + f, Description: "this system cannot update it; updatable: " + strings.Join(updatable, ", ")})
		}
	}
	if len(bad) > 0 {
		return nil, apierr.InvalidFields(bad...)
	}
	return fields, nil
}

// remove deletes a record in the system, then tombstones it.
func remove(ctx context.Context, s *Server, collection, id string) error {
	t, err := s.connectionOf(ctx)
	if err != nil {
		return err
	}
	col, _ := model.ByName(collection)
	if err := requireOp(t.system, collection, entityv1.CollectionCapability_DELETE); err != nil {
		return err
	}
	row, err := s.row(ctx, t, col, "id", id)
	if err != nil {
		return err
	}
	cfg, err := s.live(ctx, t)
	if err != nil {
		return err
	}
	if err := t.impl.Delete(ctx, cfg, collection, row.RemoteID); err != nil {
		return err
	}
	_, err = s.ingest(ctx, t.conn.GetId(), col, nil, []string{row.RemoteID}, nil)
	return err
}

// setStatus sets a record's unified status in the system.
func setStatus[M proto.Message](ctx context.Context, s *Server, collection string, req proto.Message, requestID, id, status, note string) (M, error) {
	var zero M
	t, err := s.connectionOf(ctx)
	if err != nil {
		return zero, err
	}
	col, _ := model.ByName(collection)
	if err := requireOp(t.system, collection, entityv1.CollectionCapability_SET_STATUS); err != nil {
		return zero, err
	}
	row, err := s.row(ctx, t, col, "id", id)
	if err != nil {
		return zero, err
	}
	return idempotent(ctx, s, t.conn.GetId(), req, requestID, func() (M, error) {
		cfg, err := s.live(ctx, t)
		if err != nil {
			return zero, err
		}
		rec, err := t.impl.SetStatus(ctx, cfg, collection, row.RemoteID, status, note, requestID)
		if err != nil {
			return zero, err
		}
		return stored[M](ctx, s, t, col, rec, requestID)
	})
}

var decimal = regexp.MustCompile(`^[+-]?\d{1,15}(\.\d{1,6})?$`)

// adjust adds a delta to an inventory level in the system.
func (s *Server) adjust(ctx context.Context, req *entityv1.AdjustInventoryLevelRequest) (*entityv1.InventoryLevel, error) {
	if !decimal.MatchString(req.GetDelta()) || strings.Trim(req.GetDelta(), "+-0.") == "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "delta", Description: "must be a non-zero decimal such as \"5\" or \"-2.5\""})
	}
	t, err := s.connectionOf(ctx)
	if err != nil {
		return nil, err
	}
	col, _ := model.ByName(model.InventoryLevels)
	if err := requireOp(t.system, col.Name, entityv1.CollectionCapability_ADJUST); err != nil {
		return nil, err
	}
	row, err := s.row(ctx, t, col, "id", req.GetId())
	if err != nil {
		return nil, err
	}
	return idempotent(ctx, s, t.conn.GetId(), req, req.GetRequestId(), func() (*entityv1.InventoryLevel, error) {
		cfg, err := s.live(ctx, t)
		if err != nil {
			return nil, err
		}
		rec, err := t.impl.AdjustInventory(ctx, cfg, row.RemoteID, req.GetDelta(), req.GetReason(), req.GetRequestId())
		if err != nil {
			return nil, err
		}
		return stored[*entityv1.InventoryLevel](ctx, s, t, col, rec, req.GetRequestId())
	})
}

// Passthrough calls the system's own API. The path must be relative to the
// base URL: one that names another host or climbs above the base is refused.
func (s *Server) Passthrough(ctx context.Context, req *entityv1.PassthroughRequest) (*entityv1.PassthroughResponse, error) {
	if err := connector.CheckRelativePath(req.GetPath()); err != nil {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "path", Description: err.Error()})
	}
	method := strings.ToUpper(req.GetMethod())
	switch method {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD":
	default:
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "method", Description: "must be GET, POST, PUT, PATCH, DELETE or HEAD"})
	}
	t, err := s.connectionOf(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := s.live(ctx, t)
	if err != nil {
		return nil, err
	}
	resp, err := t.impl.Passthrough(ctx, cfg, connector.PassthroughRequest{Method: method, Path: req.GetPath(), Query: req.GetQuery(), Headers: req.GetHeaders(), Body: req.GetBody()})
	if err != nil {
		return nil, err
	}
	return &entityv1.PassthroughResponse{StatusCode: int32(resp.StatusCode), Headers: resp.Headers, Body: resp.Body}, nil
}
