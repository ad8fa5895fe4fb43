package limble

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Idempotency: Limble has no idempotency key. A task created with one
// carries in meta3 (task metadata "to track items between integrated
// systems", filterable on GET /v2/tasks) a number derived from the key;
// Create first looks for a task with it and returns that one. meta3 is
// reserved to the connector.

// idempotencyTag is the meta3 of an idempotency key: 15 decimal digits of
// SHA-256(key) (GET /v2/tasks declares meta3 as an integer filter).
func idempotencyTag(key string) string {
	sum := sha256.Sum256([]byte(key))
	return strconv.FormatUint(binary.BigEndian.Uint64(sum[:8])%1e15+1e14, 10)
}

func invalid(field, desc string) error {
	return apierr.InvalidFields(apierr.FieldViolation{Field: field, Description: desc})
}

// linkID reads a link as a Limble id.
func linkID(field, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid(field, "is not a Limble id")
	}
	return n, nil
}

// minutes reads hours (an exact decimal) as whole minutes.
func minutes(field, h string) (int64, error) {
	r, ok := new(big.Rat).SetString(h)
	if !ok || r.Sign() < 0 {
		return 0, invalid(field, "must be a non-negative decimal number of hours")
	}
	m := new(big.Rat).Mul(r, big.NewRat(60, 1))
	if !m.IsInt() {
		return 0, invalid(field, "Limble keeps estimated time in whole minutes")
	}
	return m.Num().Int64(), nil
}

// taskParams maps unified work order fields to Limble's task parameters;
// create uses assetID, PATCH uses asset.
func taskParams(wo *entityv1.WorkOrder, fields []string, create bool) (map[string]any, error) {
	p := map[string]any{}
	for _, f := range fields {
		switch f {
		case "title":
			if strings.TrimSpace(wo.GetTitle()) == "" {
				return nil, invalid("title", "is required")
			}
			p["name"] = wo.GetTitle()
		case "description":
			p["description"] = wo.GetDescription()
		case "priority":
			v, ok := priorityTo[wo.GetPriority()]
			if !ok {
				return nil, invalid("priority", "must be LOW, MEDIUM, HIGH or URGENT")
			}
			p["priority"] = v
		case "type":
			t, ok := taskTypeOf(wo.GetType())
			if !ok {
				return nil, invalid("type", "must be PM, Unplanned WO, Planned WO or Work Request")
			}
			p["type"] = t
		case "asset_id":
			key := "asset"
			if create {
				key = "assetID"
			}
			if wo.GetAssetId() == "" {
				p[key] = 0
				continue
			}
			id, err := linkID("asset_id", wo.GetAssetId())
			if err != nil {
				return nil, err
			}
			p[key] = id
		case "location_id":
			id, err := linkID("location_id", wo.GetLocationId())
			if err != nil {
				return nil, err
			}
			p["locationID"] = id
		case "assignee_ids":
			switch ids := wo.GetAssigneeIds(); len(ids) {
			case 0:
				if !create {
					return nil, invalid("assignee_ids", "Limble cannot unassign a task through its API")
				}
			case 1:
				id, err := linkID("assignee_ids", ids[0])
				if err != nil {
					return nil, err
				}
				p["assignment"], p["assignmentType"] = id, "user"
			default:
				return nil, invalid("assignee_ids", "the connector assigns a task to one user")
			}
		case "scheduled_start_time":
			p["scheduledStart"] = wo.GetScheduledStartTime().GetSeconds()
		case "scheduled_end_time":
			p["scheduledEnd"] = wo.GetScheduledEndTime().GetSeconds()
		case "due_time":
			if wo.GetDueTime() == nil {
				return nil, invalid("due_time", "is required by Limble")
			}
			p["due"] = wo.GetDueTime().GetSeconds()
		case "estimated_hours":
			m, err := minutes("estimated_hours", wo.GetEstimatedHours())
			if err != nil {
				return nil, err
			}
			p["estimatedTime"] = m
		default:
			return nil, invalid(f, "cannot be changed in Limble")
		}
	}
	return p, nil
}

// Create creates a task or a purchase order (see purchaseorders.go).
func (c *Connector) Create(ctx context.Context, cfg connector.Config, r *connectorv1.Record, idempotencyKey string) (*connectorv1.Record, error) {
	if r.GetCollection() == collPurchaseOrders && r.GetPurchaseOrder() != nil {
		return c.createPurchaseOrder(ctx, cfg, r.GetPurchaseOrder(), idempotencyKey)
	}
	if r.GetCollection() != collWorkOrders || r.GetWorkOrder() == nil {
		return c.Unimplemented.Create(ctx, cfg, r, idempotencyKey)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	wo := r.GetWorkOrder()
	fields := []string{"title", "location_id", "due_time"}
	for f, set := range map[string]bool{
		"description": wo.GetDescription() != "", "priority": wo.GetPriority() != 0, "asset_id": wo.GetAssetId() != "",
		"assignee_ids": len(wo.GetAssigneeIds()) > 0, "scheduled_start_time": wo.GetScheduledStartTime() != nil,
		"scheduled_end_time": wo.GetScheduledEndTime() != nil, "estimated_hours": wo.GetEstimatedHours() != "",
	} {
		if set {
			fields = append(fields, f)
		}
	}
	if wo.GetLocationId() == "" {
		return nil, invalid("location_id", "is required by Limble")
	}
	p, err := taskParams(wo, fields, true)
	if err != nil {
		return nil, err
	}
	p["type"] = int64(2)
	if wo.GetType() != "" {
		t, ok := taskTypeOf(wo.GetType())
		if !ok {
			return nil, invalid("type", "must be PM, Unplanned WO, Planned WO or Work Request")
		}
		p["type"] = t
	}
	res := resources[collWorkOrders]
	if idempotencyKey != "" {
		tag := idempotencyTag(idempotencyKey)
		list, _, err := s.getList(ctx, res.path, url.Values{"meta3": {tag}, "limit": {"1"}})
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			recs, err := s.records(ctx, res, list)
			if err != nil {
				return nil, err
			}
			return recs[0], nil
		}
		p["meta3"] = tag
	}
	_, data, err := s.call(ctx, http.MethodPost, res.path, nil, p)
	if err != nil {
		return nil, err
	}
	var created struct {
		TaskID json.Number `json:"taskID"`
	}
	if json.Unmarshal(data, &created) != nil || created.TaskID == "" {
		return nil, apierr.New(apierr.ConnectedSystemError, "%s created a task but did not say its id", systemName).With("system", systemName)
	}
	return c.Get(ctx, cfg, collWorkOrders, created.TaskID.String())
}

// Update changes the named fields of a task (PATCH /v2/tasks/{id}).
func (c *Connector) Update(ctx context.Context, cfg connector.Config, r *connectorv1.Record, fields []string, idempotencyKey string) (*connectorv1.Record, error) {
	if r.GetCollection() != collWorkOrders || r.GetWorkOrder() == nil {
		return c.Unimplemented.Update(ctx, cfg, r, fields, idempotencyKey)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := linkID("remote_id", r.GetRemoteId()); err != nil {
		return nil, notFound(resources[collWorkOrders], r.GetRemoteId())
	}
	p, err := taskParams(r.GetWorkOrder(), fields, false)
	if err != nil {
		return nil, err
	}
	if len(p) > 0 {
		if _, _, err := s.call(ctx, http.MethodPatch, "/v2/tasks/"+r.GetRemoteId(), nil, p); err != nil {
			return nil, err
		}
	}
	return c.Get(ctx, cfg, collWorkOrders, r.GetRemoteId())
}

// Delete deletes a task.
func (c *Connector) Delete(ctx context.Context, cfg connector.Config, collection, remoteID string) error {
	if collection != collWorkOrders {
		return c.Unimplemented.Delete(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return err
	}
	if _, err := linkID("remote_id", remoteID); err != nil {
		return notFound(resources[collWorkOrders], remoteID)
	}
	_, _, err = s.call(ctx, http.MethodDelete, "/v2/tasks/"+remoteID, nil, nil)
	return err
}

// SetStatus sets a task's status: COMPLETED completes it (status 1, with
// its assignment, as Limble requires); OPEN reopens a completed task;
// IN_PROGRESS and ON_HOLD set the first custom status of that meaning
// (reopening a completed task first). Limble has no cancelled status, and
// cannot set an open task's custom status back to Open.
func (c *Connector) SetStatus(ctx context.Context, cfg connector.Config, collection, remoteID, status, note, idempotencyKey string) (*connectorv1.Record, error) {
	if collection == collPurchaseOrders {
		return c.setPOState(ctx, cfg, remoteID, status, note)
	}
	if collection != collWorkOrders {
		return c.Unimplemented.SetStatus(ctx, cfg, collection, remoteID, status, note, idempotencyKey)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	res := resources[collWorkOrders]
	m, err := s.read(ctx, res, remoteID)
	if err != nil {
		return nil, err
	}
	a, err := s.account(ctx, res)
	if err != nil {
		return nil, err
	}
	current, _ := taskStatus(m, a)
	want := entityv1.WorkOrder_Status(entityv1.WorkOrder_Status_value[status])
	p := map[string]any{}
	switch want {
	case current:
		return res.record(m, a, nil), nil
	case entityv1.WorkOrder_COMPLETED:
		p["status"] = 1
		switch {
		case m.int("userID") > 0:
			p["assignment"], p["assignmentType"] = m.int("userID"), "user"
		case m.int("teamID") > 0:
			p["assignment"], p["assignmentType"] = m.int("teamID"), "team"
		default:
			return nil, apierr.New(apierr.FailedPrecondition, "%s completes only an assigned task; assign task %s first", systemName, remoteID)
		}
	case entityv1.WorkOrder_OPEN:
		if current != entityv1.WorkOrder_COMPLETED {
			return nil, apierr.New(apierr.FailedPrecondition, "%s cannot set a task's custom status back to Open through its API", systemName)
		}
		p["status"] = 0
	case entityv1.WorkOrder_IN_PROGRESS, entityv1.WorkOrder_ON_HOLD:
		id := int64(0)
		for k, name := range a.Statuses {
			if k > 2 && statusFromName(name) == want && (id == 0 || k < id) {
				id = k
			}
		}
		if id == 0 {
			return nil, apierr.New(apierr.FailedPrecondition, "the %s account has no custom task status meaning %s", systemName, status)
		}
		if current == entityv1.WorkOrder_COMPLETED {
			p["status"] = 0
		}
		p["statusID"] = id
	default:
		return nil, invalid("status", "Limble tasks can be OPEN, IN_PROGRESS, ON_HOLD or COMPLETED (it has no cancelled status: delete the task)")
	}
	if _, _, err := s.call(ctx, http.MethodPatch, "/v2/tasks/"+remoteID, nil, p); err != nil {
		return nil, err
	}
	return c.Get(ctx, cfg, collWorkOrders, remoteID)
}

// AdjustInventory adds delta to a part's stock: Limble has no adjustment,
// so the connector reads generalStock and writes it back with delta added
// (PATCH /v2/parts/{id}). Another change between the read and the write is
// lost; a retry adjusts twice.
func (c *Connector) AdjustInventory(ctx context.Context, cfg connector.Config, remoteID, delta, reason, idempotencyKey string) (*connectorv1.Record, error) {
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	d, ok := new(big.Rat).SetString(delta)
	if !ok {
		return nil, invalid("delta", "must be an exact decimal")
	}
	res := resources[collInventory]
	m, err := s.read(ctx, res, remoteID)
	if err != nil {
		return nil, err
	}
	stock, ok := new(big.Rat).SetString(m.quantity("generalStock"))
	if !ok {
		stock = new(big.Rat)
	}
	stock.Add(stock, d)
	p := map[string]any{"locationID": m.int("locationID"), "generalStock": json.Number(ratString(stock))}
	if _, _, err := s.call(ctx, http.MethodPatch, "/v2/parts/"+remoteID, nil, p); err != nil {
		return nil, err
	}
	return c.Get(ctx, cfg, collInventory, remoteID)
}

// ratString writes a rational with a finite decimal expansion exactly (up
// to 10 places).
func ratString(r *big.Rat) string {
	s := r.FloatString(10)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
