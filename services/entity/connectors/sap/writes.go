package sap

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Idempotency: SAP has no idempotency key. A purchase order created with
// one carries in CorrespncInternalReference ("Our Reference", 12
// characters, filterable) a tag derived from the key, and a goods movement
// carries it in MaterialDocumentHeaderText; the connector first looks for a
// document with the tag and returns it instead of creating a second one.

// idempotencyTag is "MW" and 10 characters of base32(SHA-256(key)).
func idempotencyTag(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "MW" + base32.StdEncoding.EncodeToString(sum[:])[:10]
}

// decimalParam reads an exact decimal of a request.
func decimalParam(field, v string) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(v))
	if !ok || strings.ContainsAny(v, "eE/") {
		return nil, invalid(field, "must be an exact decimal such as 12.5")
	}
	return r, nil
}

// setting reads a setting with a default.
func setting(cfg connector.Config, name, def string) string {
	if v := strings.TrimSpace(cfg.Settings[name]); v != "" {
		return v
	}
	return def
}

// purchaseOrderBody maps a unified purchase order to SAP's deep insert of
// A_PurchaseOrder with its to_PurchaseOrderItem.
func purchaseOrderBody(cfg connector.Config, po *entityv1.PurchaseOrder) (map[string]any, error) {
	if po.GetVendorId() == "" {
		return nil, invalid("purchase_order.vendor_id", "is required by SAP")
	}
	plant, sloc := "", ""
	switch id := po.GetShipToLocationId(); {
	case strings.HasPrefix(id, plantPrefix):
		plant = strings.TrimPrefix(id, plantPrefix)
	case strings.HasPrefix(id, slocPrefix):
		plant, sloc, _ = strings.Cut(strings.TrimPrefix(id, slocPrefix), "/")
	}
	if id := po.GetShipToLocationId(); id == "" {
		plant = setting(cfg, "plant", "")
	}
	if plant == "" {
		return nil, invalid("purchase_order.ship_to_location_id", "must be a plant (PLANT:1010) or a storage location (SLOC:1010/0001); without one, SAP takes the connection's plant setting, which is empty")
	}
	if len(po.GetLineItems()) == 0 {
		return nil, invalid("purchase_order.line_items", "SAP needs at least one line")
	}
	cur := po.GetCurrencyCode()
	var items []any
	for i, l := range po.GetLineItems() {
		field := "purchase_order.line_items[" + strconv.Itoa(i) + "]"
		qty, err := decimalParam(field+".quantity", l.GetQuantity())
		if err != nil || qty.Sign() <= 0 {
			return nil, invalid(field+".quantity", "must be a decimal greater than zero")
		}
		if l.GetUnitPrice().GetAmount() == "" {
			return nil, invalid(field+".unit_price", "is required")
		}
		price, err := decimalParam(field+".unit_price.amount", l.GetUnitPrice().GetAmount())
		if err != nil {
			return nil, err
		}
		if c := l.GetUnitPrice().GetCurrencyCode(); c != "" {
			if cur != "" && c != cur {
				return nil, invalid(field+".unit_price.currency_code", "differs from the order's currency; SAP keeps one currency per order")
			}
			cur = c
		}
		n := int(l.GetLineNumber())
		if n <= 0 {
			n = 10 * (i + 1)
		}
		it := map[string]any{"PurchaseOrderItem": strconv.Itoa(n), "Plant": plant,
			"OrderQuantity": ratText(qty), "NetPriceAmount": ratText(price), "NetPriceQuantity": "1"}
		if sloc != "" {
			it["StorageLocation"] = sloc
		}
		if l.GetPartId() != "" {
			it["Material"] = l.GetPartId()
			if l.GetDescription() != "" {
				it["PurchaseOrderItemText"] = l.GetDescription()
			}
		} else {
			if l.GetDescription() == "" {
				return nil, invalid(field, "give a part_id or a description")
			}
			it["PurchaseOrderItemText"], it["PurchaseOrderQuantityUnit"] = l.GetDescription(), "EA"
			if g := setting(cfg, "material_group", ""); g != "" {
				it["MaterialGroup"] = g
			}
		}
		items = append(items, it)
	}
	body := map[string]any{
		"CompanyCode":            setting(cfg, "company_code", plant),
		"PurchaseOrderType":      setting(cfg, "purchase_order_type", "NB"),
		"Supplier":               po.GetVendorId(),
		"PurchasingOrganization": setting(cfg, "purchasing_organization", plant),
		"PurchasingGroup":        setting(cfg, "purchasing_group", "001"),
		"to_PurchaseOrderItem":   items,
	}
	if cur != "" {
		body["DocumentCurrency"] = cur
	}
	if t := po.GetOrderTime(); t != nil {
		body["PurchaseOrderDate"] = "/Date(" + strconv.FormatInt(t.AsTime().Truncate(24*60*60*1e9).UnixMilli(), 10) + ")/"
	}
	return body, nil
}

// workOrderUpdatable are the unified fields Update changes on a
// maintenance order.
var workOrderUpdatable = []string{"title", "priority", "asset_id", "location_id", "scheduled_start_time", "scheduled_end_time"}

// sapDate writes a time as an Edm.DateTimeOffset JSON literal (whole
// seconds).
func sapDate(t interface{ AsTime() time.Time }) string {
	return "/Date(" + strconv.FormatInt(t.AsTime().Truncate(time.Second).UnixMilli(), 10) + "+0000)/"
}

// orderFields maps unified work order fields to MaintenanceOrder
// properties.
func orderFields(wo *entityv1.WorkOrder, fields []string) (map[string]any, error) {
	body := map[string]any{}
	for _, f := range fields {
		switch f {
		case "title":
			if strings.TrimSpace(wo.GetTitle()) == "" {
				return nil, invalid("work_order.title", "is required")
			}
			body["MaintenanceOrderDesc"] = wo.GetTitle()
		case "priority":
			p := ""
			for k, v := range priorities {
				if v == wo.GetPriority() {
					p = k
				}
			}
			if p == "" {
				return nil, invalid("work_order.priority", "must be LOW, MEDIUM, HIGH or URGENT")
			}
			body["MaintPriority"] = p
		case "asset_id":
			body["Equipment"] = wo.GetAssetId()
		case "location_id":
			switch id := wo.GetLocationId(); {
			case id == "":
				body["FunctionalLocation"] = ""
			case strings.HasPrefix(id, flocPrefix):
				body["FunctionalLocation"] = strings.TrimPrefix(id, flocPrefix)
			default:
				return nil, invalid("work_order.location_id", "must be a functional location (FLOC:...)")
			}
		case "scheduled_start_time", "scheduled_end_time":
			t := wo.GetScheduledStartTime()
			prop := "MaintOrdBasicStartDateTime"
			if f == "scheduled_end_time" {
				t, prop = wo.GetScheduledEndTime(), "MaintOrdBasicEndDateTime"
			}
			if t == nil {
				body[prop] = nil
			} else {
				body[prop] = sapDate(t)
			}
		default:
			return nil, invalid("update_mask", f+" cannot be changed in SAP through the connector")
		}
	}
	return body, nil
}

// workOrderBody maps a unified work order to a MaintenanceOrder to create.
func workOrderBody(cfg connector.Config, wo *entityv1.WorkOrder) (map[string]any, error) {
	fields := []string{"title"}
	for f, set := range map[string]bool{
		"priority": wo.GetPriority() != 0, "asset_id": wo.GetAssetId() != "", "scheduled_start_time": wo.GetScheduledStartTime() != nil,
		"scheduled_end_time": wo.GetScheduledEndTime() != nil, "location_id": strings.HasPrefix(wo.GetLocationId(), flocPrefix),
	} {
		if set {
			fields = append(fields, f)
		}
	}
	body, err := orderFields(wo, fields)
	if err != nil {
		return nil, err
	}
	if id := wo.GetLocationId(); strings.HasPrefix(id, plantPrefix) {
		body["MaintenancePlanningPlant"] = strings.TrimPrefix(id, plantPrefix)
	} else if id != "" && !strings.HasPrefix(id, flocPrefix) {
		return nil, invalid("work_order.location_id", "must be a functional location (FLOC:...) or a plant (PLANT:...)")
	}
	if wo.GetAssetId() == "" && wo.GetLocationId() == "" {
		return nil, invalid("work_order.asset_id", "SAP needs an asset (equipment) or a location (functional location or plant)")
	}
	body["MaintenanceOrderType"] = setting(cfg, "maintenance_order_type", "PM01")
	if wo.GetType() != "" {
		body["MaintenanceOrderType"] = wo.GetType()
	}
	return body, nil
}

// created decodes the entity of a 201 answer.
func created(data []byte, key string) (rec, error) {
	var a struct {
		D map[string]any `json:"d"`
	}
	if json.Unmarshal(data, &a) != nil || rec(a.D).str(key) == "" {
		return nil, apierr.New(apierr.ConnectedSystemError, "%s created a record but did not return it", systemName).With("system", systemName)
	}
	return a.D, nil
}

// guards are the properties holding the idempotency tag, by collection.
var guards = map[string]string{model.PurchaseOrders: "CorrespncInternalReference", model.WorkOrders: "MaintObjectFreeDefinedAttrib"}

// Create creates a maintenance order, or a purchase order (deep insert
// with its lines).
func (c *Connector) Create(ctx context.Context, cfg connector.Config, r *connectorv1.Record, idempotencyKey string) (*connectorv1.Record, error) {
	var body map[string]any
	var err error
	switch {
	case r.GetCollection() == model.PurchaseOrders && r.GetPurchaseOrder() != nil:
		body, err = purchaseOrderBody(cfg, r.GetPurchaseOrder())
	case r.GetCollection() == model.WorkOrders && r.GetWorkOrder() != nil:
		body, err = workOrderBody(cfg, r.GetWorkOrder())
	default:
		return c.Unimplemented.Create(ctx, cfg, r, idempotencyKey)
	}
	if err != nil {
		return nil, err
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	src := sources[r.GetCollection()][0]
	if idempotencyKey != "" {
		tag := idempotencyTag(idempotencyKey)
		q := url.Values{"$filter": {guards[r.GetCollection()] + " eq " + quote(tag)}, "$top": {"1"}}
		if src.expand != "" {
			q.Set("$expand", src.expand)
		}
		page, err := s.list(ctx, src.service, src.set, q)
		if err != nil {
			return nil, err
		}
		if len(page.records) > 0 {
			return src.record(page.records[0]), nil
		}
		body[guards[r.GetCollection()]] = tag
	}
	_, data, err := s.write(ctx, http.MethodPost, src.service, src.set, nil, body, nil)
	if err != nil {
		return nil, err
	}
	m, err := created(data, src.key)
	if err != nil {
		return nil, err
	}
	return src.record(m), nil
}

// Update changes the named fields of a maintenance order (PATCH with the
// ETag read).
func (c *Connector) Update(ctx context.Context, cfg connector.Config, r *connectorv1.Record, fields []string, idempotencyKey string) (*connectorv1.Record, error) {
	if r.GetCollection() != model.WorkOrders || r.GetWorkOrder() == nil {
		return c.Unimplemented.Update(ctx, cfg, r, fields, idempotencyKey)
	}
	body, err := orderFields(r.GetWorkOrder(), fields)
	if err != nil {
		return nil, err
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	_, etag, src, err := s.read(ctx, model.WorkOrders, r.GetRemoteId())
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		path, _ := src.path(r.GetRemoteId())
		if _, _, err := s.write(ctx, http.MethodPatch, src.service, path, nil, body, http.Header{"If-Match": {etag}}); err != nil {
			return nil, err
		}
	}
	return c.Get(ctx, cfg, model.WorkOrders, r.GetRemoteId())
}

// orderStep is the next function import on the way from a maintenance
// order's status to a unified one; "" when it is there.
func orderStep(text string, want entityv1.WorkOrder_Status) (string, error) {
	locked := strings.Contains(text, "LKD")
	base := ""
	for _, f := range strings.Fields(text) {
		if f != "LKD" {
			base = f
		}
	}
	if orderStatus(text) == want {
		return "", nil
	}
	switch want {
	case entityv1.WorkOrder_ON_HOLD:
		if base == "CLSD" || base == "DNEX" {
			break
		}
		return "SetMaintOrderStatusToLocked", nil
	case entityv1.WorkOrder_IN_PROGRESS:
		switch {
		case locked:
			return "SetMaintOrderStatusToUnlocked", nil
		case base == "CRTD":
			return "ReleaseMaintenanceOrder", nil
		case base == "TECO":
			return "ResetMaintOrdStsTechCompleted", nil
		case base == "CLSD":
			return "ResetMaintOrderStatusClosed", nil
		case base == "DNEX":
			return "ResetStatusFromDoNotExecute", nil
		}
	case entityv1.WorkOrder_COMPLETED:
		switch {
		case locked:
			return "SetMaintOrderStatusToUnlocked", nil
		case base == "CRTD" || base == "REL":
			return "SetMaintOrdToTechCompleted", nil
		}
	case entityv1.WorkOrder_CANCELLED:
		switch {
		case locked:
			return "SetMaintOrderStatusToUnlocked", nil
		case base == "CRTD" || base == "REL":
			return "SetMaintOrderToDoNotExecute", nil
		}
	case entityv1.WorkOrder_OPEN:
		if base == "DNEX" && !locked {
			return "ResetStatusFromDoNotExecute", nil
		}
		return "", apierr.New(apierr.FailedPrecondition, "%s cannot take a maintenance order in status %s back to created (CRTD)", systemName, text)
	default:
		return "", invalid("status", "SAP maintenance orders can be OPEN (from cancelled), IN_PROGRESS, ON_HOLD, COMPLETED or CANCELLED")
	}
	return "", apierr.New(apierr.FailedPrecondition, "%s cannot set a maintenance order in status %s to %s", systemName, text, want)
}

// SetStatus sets a maintenance order's status through SAP's function
// imports (release, technical completion, do not execute, lock, and their
// resets), reading the order's ETag before each; or cancels a purchase
// order (sets its deletion indicator).
func (c *Connector) SetStatus(ctx context.Context, cfg connector.Config, collection, remoteID, status, note, idempotencyKey string) (*connectorv1.Record, error) {
	if !supports(collection, opSetStatus) {
		return c.Unimplemented.SetStatus(ctx, cfg, collection, remoteID, status, note, idempotencyKey)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	if collection == model.PurchaseOrders {
		return s.cancelPurchaseOrder(ctx, remoteID, status)
	}
	want, ok := entityv1.WorkOrder_Status_value[status]
	if !ok || want == 0 {
		return nil, invalid("status", "is not a work order status")
	}
	for range 4 {
		m, etag, src, err := s.read(ctx, collection, remoteID)
		if err != nil {
			return nil, err
		}
		fn, err := orderStep(m.str("SystemStatusText"), entityv1.WorkOrder_Status(want))
		if err != nil {
			return nil, err
		}
		if fn == "" {
			return src.record(m), nil
		}
		q := url.Values{"MaintenanceOrder": {quote(remoteID)}}
		if _, _, err := s.write(ctx, http.MethodPost, src.service, fn, q, nil, http.Header{"If-Match": {etag}}); err != nil {
			return nil, err
		}
	}
	return nil, apierr.New(apierr.ConnectedSystemError, "%s did not reach status %s for maintenance order %s", systemName, status, remoteID).With("system", systemName)
}

// cancelPurchaseOrder sets a purchase order's deletion indicator (DELETE
// with the ETag read), which SAP shows as a cancelled order.
func (s *session) cancelPurchaseOrder(ctx context.Context, remoteID, status string) (*connectorv1.Record, error) {
	if status != entityv1.PurchaseOrder_CANCELLED.String() {
		return nil, invalid("status", "SAP purchase orders can only be CANCELLED through the API (the deletion indicator); release and receipts are posted in SAP")
	}
	m, etag, src, err := s.read(ctx, model.PurchaseOrders, remoteID)
	if err != nil {
		return nil, err
	}
	if m.str("PurchasingDocumentDeletionCode") == "" {
		path, _ := src.path(remoteID)
		if _, _, err := s.write(ctx, http.MethodDelete, src.service, path, nil, nil, http.Header{"If-Match": {etag}}); err != nil {
			return nil, err
		}
		if m, _, _, err = s.read(ctx, model.PurchaseOrders, remoteID); err != nil {
			return nil, err
		}
	}
	return src.record(m), nil
}

// AdjustInventory posts a goods movement (API_MATERIAL_DOCUMENT_SRV) of the
// delta into the storage location's unrestricted-use stock: movement type
// 701 (inventory difference, gain) for a positive delta, 702 (loss) for a
// negative one. A movement is relative, so a concurrent change is never
// overwritten; a retry with the same idempotency key finds the first
// document by its header text and posts nothing.
func (c *Connector) AdjustInventory(ctx context.Context, cfg connector.Config, remoteID, delta, reason, idempotencyKey string) (*connectorv1.Record, error) {
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	d, err := decimalParam("delta", delta)
	if err != nil {
		return nil, err
	}
	if d.Sign() == 0 {
		return nil, invalid("delta", "must not be zero")
	}
	if !new(big.Rat).Mul(d, big.NewRat(1000, 1)).IsInt() {
		return nil, invalid("delta", "SAP posts quantities with at most three decimal places")
	}
	material, plant, sloc, ok := splitInventoryID(remoteID)
	if !ok {
		return nil, apierr.New(apierr.NotFound, "%s has no inventory level %q", systemName, remoteID).With("system", systemName)
	}
	if _, _, _, err := s.read(ctx, model.InventoryLevels, remoteID); err != nil {
		return nil, err
	}
	const service = "API_MATERIAL_DOCUMENT_SRV"
	header := map[string]any{"GoodsMovementCode": "05"}
	mvt := "701"
	if d.Sign() < 0 {
		header["GoodsMovementCode"], mvt = "03", "702"
	}
	post := true
	if idempotencyKey != "" {
		tag := idempotencyTag(idempotencyKey)
		page, err := s.list(ctx, service, "A_MaterialDocumentHeader", url.Values{"$filter": {"MaterialDocumentHeaderText eq " + quote(tag)}, "$top": {"1"}})
		if err != nil {
			return nil, err
		}
		post = len(page.records) == 0
		header["MaterialDocumentHeaderText"] = tag
	}
	if post {
		item := map[string]any{"Material": material, "Plant": plant, "StorageLocation": sloc, "GoodsMovementType": mvt,
			"QuantityInEntryUnit": ratText(new(big.Rat).Abs(d))}
		if reason != "" {
			item["MaterialDocumentItemText"] = truncate(reason, 50)
		}
		header["to_MaterialDocumentItem"] = []any{item}
		if _, _, err := s.write(ctx, http.MethodPost, service, "A_MaterialDocumentHeader", nil, header, nil); err != nil {
			return nil, err
		}
	}
	return c.Get(ctx, cfg, model.InventoryLevels, remoteID)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Passthrough calls SAP's own API with the connection's authentication
// (and, for writes, a CSRF token with its session cookies) and returns its
// answer as it is. The path is relative to the base URL, such as
// /sap/opu/odata/sap/API_MAINTENANCEORDER/MaintenanceOrder.
func (c *Connector) Passthrough(ctx context.Context, cfg connector.Config, req connector.PassthroughRequest) (connector.PassthroughResponse, error) {
	s, err := c.session(cfg)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	hr, err := connector.NewPassthroughRequest(ctx, s.base.String(), req, "X-CSRF-Token")
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	if err := s.authorize(ctx, hr); err != nil {
		return connector.PassthroughResponse{}, err
	}
	if hr.Method != http.MethodGet && hr.Method != http.MethodHead {
		raw, err := s.c.csrf.Get(ctx, s.cacheKey, s.fetchCSRF("API_PLANT_SRV"))
		if err != nil {
			return connector.PassthroughResponse{}, err
		}
		var st csrfState
		_ = json.Unmarshal([]byte(raw), &st)
		hr.Header.Set("X-CSRF-Token", st.Token)
		if st.Cookies != "" {
			hr.Header.Set("Cookie", st.Cookies)
		}
	}
	resp, data, err := c.http.Do(ctx, cfg.Connection, hr)
	if err != nil {
		return connector.PassthroughResponse{}, err
	}
	return connector.PassthroughAnswer(resp, data, "X-CSRF-Token"), nil
}
