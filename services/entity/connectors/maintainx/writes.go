package maintainx

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// requestField is the work order and purchase order extra field (custom
// field) that carries a create's idempotency key. MaintainX has no
// transaction id; before a work order create the connector searches the
// work orders with the same title created in the last markerWindow for this
// marker, and before a purchase order create it filters purchase orders on
// the field, and returns the one it finds.
const (
	requestField = "Millwright Request ID"
	markerWindow = 7 * 24 * time.Hour
)

func rejected(field, msg string) error {
	return apierr.InvalidFields(apierr.FieldViolation{Field: field, Description: msg})
}

// workOrderBody maps the named unified fields (all set ones when fields is
// nil) to a MaintainX work order body.
func workOrderBody(wo *entityv1.WorkOrder, fields []string) (map[string]any, error) {
	b := map[string]any{}
	want := func(f string, set bool) bool {
		if fields == nil {
			return set
		}
		for _, x := range fields {
			if x == f {
				return true
			}
		}
		return false
	}
	idOrNil := func(field, v string) (any, error) {
		if v == "" {
			return nil, nil
		}
		n, err := parseID(v)
		if err != nil {
			return nil, rejected(field, "is not a MaintainX id")
		}
		return n, nil
	}
	timeOrNil := func(t interface{ AsTime() time.Time }, set bool) any {
		if !set {
			return nil
		}
		return t.AsTime().UTC().Format(time.RFC3339)
	}
	var err error
	if want("title", wo.GetTitle() != "") {
		b["title"] = wo.GetTitle()
	}
	if want("description", wo.GetDescription() != "") {
		b["description"] = wo.GetDescription()
	}
	if want("priority", wo.GetPriority() != 0) {
		b["priority"] = priorityTo[wo.GetPriority()]
	}
	if want("type", wo.GetType() != "") {
		switch t := strings.ToUpper(wo.GetType()); t {
		case "REACTIVE", "PREVENTIVE", "OTHER":
			b["type"] = t
		default:
			return nil, rejected("type", "MaintainX work order types are REACTIVE, PREVENTIVE and OTHER")
		}
	}
	if want("asset_id", wo.GetAssetId() != "") {
		if b["assetId"], err = idOrNil("asset_id", wo.GetAssetId()); err != nil {
			return nil, err
		}
	}
	if want("location_id", wo.GetLocationId() != "") {
		if b["locationId"], err = idOrNil("location_id", wo.GetLocationId()); err != nil {
			return nil, err
		}
	}
	if fields == nil && wo.GetParentId() != "" {
		if b["parentId"], err = idOrNil("parent_id", wo.GetParentId()); err != nil {
			return nil, err
		}
	}
	if want("assignee_ids", len(wo.GetAssigneeIds()) > 0) {
		as := []any{}
		for _, a := range wo.GetAssigneeIds() {
			n, err := parseID(a)
			if err != nil {
				return nil, rejected("assignee_ids", "holds an id that is not a MaintainX id")
			}
			as = append(as, map[string]any{"type": "USER", "id": n})
		}
		b["assignees"] = as
	}
	if want("scheduled_start_time", wo.GetScheduledStartTime() != nil) {
		b["startDate"] = timeOrNil(wo.GetScheduledStartTime(), wo.GetScheduledStartTime() != nil)
	}
	if want("due_time", wo.GetDueTime() != nil) {
		b["dueDate"] = timeOrNil(wo.GetDueTime(), wo.GetDueTime() != nil)
	}
	if want("estimated_hours", wo.GetEstimatedHours() != "") {
		if wo.GetEstimatedHours() == "" {
			b["estimatedTime"] = nil
		} else if s, ok := seconds(wo.GetEstimatedHours()); ok {
			b["estimatedTime"] = s
		} else {
			return nil, rejected("estimated_hours", "is not a decimal number of hours")
		}
	}
	for _, f := range fields {
		switch f {
		case "title", "description", "priority", "type", "asset_id", "location_id", "assignee_ids", "scheduled_start_time", "due_time", "estimated_hours":
		default:
			return nil, rejected("update_mask", "MaintainX cannot update work order field "+f)
		}
	}
	return b, nil
}

// Create creates a work order or a purchase order. The idempotency key is
// written to the requestField extra field, and a create whose key is
// already on a record (for work orders: of the same title, created in the
// last week) returns that one.
func (c *Connector) Create(ctx context.Context, cfg connector.Config, rec *connectorv1.Record, key string) (*connectorv1.Record, error) {
	if rec.GetCollection() != model.WorkOrders && rec.GetCollection() != model.PurchaseOrders {
		return c.Unimplemented.Create(ctx, cfg, rec, key)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	if rec.GetCollection() == model.PurchaseOrders {
		return c.createPurchaseOrder(ctx, s, rec.GetPurchaseOrder(), key)
	}
	wo := rec.GetWorkOrder()
	body, err := workOrderBody(wo, nil)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if found, err := s.findByMarker(ctx, wo.GetTitle(), key); err != nil || found != nil {
			return found, err
		}
		body["extraFields"] = map[string]any{requestField: key}
	}
	data, err := s.call(ctx, http.MethodPost, s.url("/workorders", nil), body)
	if err != nil {
		return nil, err
	}
	var created struct{ ID int64 }
	if err := decode(data, &created); err != nil {
		return nil, err
	}
	return c.Get(ctx, cfg, model.WorkOrders, id(created.ID))
}

// findByMarker returns the work order created with an idempotency key, or nil.
func (s *session) findByMarker(ctx context.Context, title, key string) (*connectorv1.Record, error) {
	q := url.Values{"limit": {"200"}, "expand": {"extra_fields"},
		"createdAt[gte]": {time.Now().Add(-markerWindow).UTC().Format(time.RFC3339)}}
	if title != "" {
		q.Set("title", title)
	}
	k := kinds[model.WorkOrders].(*kind[workOrderJSON])
	for pages := 0; pages < 20; pages++ {
		data, err := s.call(ctx, http.MethodGet, s.url("/workorders", q), nil)
		if err != nil {
			return nil, err
		}
		var p struct {
			WorkOrders []workOrderJSON `json:"workOrders"`
			NextCursor *string         `json:"nextCursor"`
		}
		if err := decode(data, &p); err != nil {
			return nil, err
		}
		for i := range p.WorkOrders {
			if p.WorkOrders[i].ExtraFields[requestField] == key {
				recs, err := k.get(ctx, s, p.WorkOrders[i].ID)
				if err != nil {
					return nil, err
				}
				return recs[0], nil
			}
		}
		if p.NextCursor == nil || *p.NextCursor == "" {
			return nil, nil
		}
		q.Set("cursor", *p.NextCursor)
	}
	return nil, nil
}

// Update changes the named fields of a work order with a PATCH.
func (c *Connector) Update(ctx context.Context, cfg connector.Config, rec *connectorv1.Record, fields []string, key string) (*connectorv1.Record, error) {
	if rec.GetCollection() != model.WorkOrders {
		return c.Unimplemented.Update(ctx, cfg, rec, fields, key)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	n, err := parseID(rec.GetRemoteId())
	if err != nil {
		return nil, notFound(model.WorkOrders, rec.GetRemoteId())
	}
	if fields == nil {
		fields = []string{}
	}
	body, err := workOrderBody(rec.GetWorkOrder(), fields)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		if _, err := s.call(ctx, http.MethodPatch, s.url("/workorders/"+id(n), nil), body); err != nil {
			return nil, err
		}
	}
	return c.Get(ctx, cfg, model.WorkOrders, id(n))
}

// Delete deletes a work order.
func (c *Connector) Delete(ctx context.Context, cfg connector.Config, collection, remoteID string) error {
	if collection != model.WorkOrders {
		return c.Unimplemented.Delete(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	n, err := parseID(remoteID)
	if err != nil {
		return notFound(collection, remoteID)
	}
	_, err = s.call(ctx, http.MethodDelete, s.url("/workorders/"+id(n), nil), nil)
	return err
}

// SetStatus sets a work order's or purchase order's status through the
// status endpoint (PATCH /{resource}/{id}/status).
func (c *Connector) SetStatus(ctx context.Context, cfg connector.Config, collection, remoteID, status, note, key string) (*connectorv1.Record, error) {
	var path, remote string
	switch collection {
	case model.WorkOrders:
		path, remote = "/workorders/", woStatusTo[woStatus(entityv1.WorkOrder_Status_value[status])]
	case model.PurchaseOrders:
		path, remote = "/purchaseorders/", poStatusTo[poStatus(entityv1.PurchaseOrder_Status_value[status])]
	default:
		return c.Unimplemented.SetStatus(ctx, cfg, collection, remoteID, status, note, key)
	}
	if remote == "" {
		return nil, rejected("status", "MaintainX has no "+collection+" status for "+status)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	n, err := parseID(remoteID)
	if err != nil {
		return nil, notFound(collection, remoteID)
	}
	body := map[string]any{"status": remote}
	if collection == model.PurchaseOrders && note != "" {
		body["reviewNote"] = note
	}
	if _, err := s.call(ctx, http.MethodPatch, s.url(path+id(n)+"/status", nil), body); err != nil {
		return nil, err
	}
	return c.Get(ctx, cfg, collection, id(n))
}

// Passthrough calls MaintainX's own API with the connection's key and
// returns its answer as it is; only transport failures are errors.
func (c *Connector) Passthrough(ctx context.Context, cfg connector.Config, req connector.PassthroughRequest) (connector.PassthroughResponse, error) {
	s, err := c.session(cfg)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	hr, err := connector.NewPassthroughRequest(ctx, s.base.String(), req, "X-Organization-Id")
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	resp, data, err := s.send(ctx, hr)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	return connector.PassthroughAnswer(resp, data, "X-Organization-Id"), nil
}
