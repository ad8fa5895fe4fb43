package sap

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

const (
	// maxPageSize is the largest $top the connector asks for, and its
	// default page size (SAP gateways commonly page server-side at 1000 or
	// more; a smaller server page is followed through __next).
	maxPageSize = 1000
	// overlap is how far before its cursor an incremental listing starts,
	// against clock skew between SAP's Date header and its change stamps
	// (whole seconds on most sets). Records changed in the overlap come
	// back; the entity store drops them unchanged.
	overlap = 2 * time.Second
)

// source is one SAP entity set feeding a collection.
type source struct {
	collection string
	service    string
	set        string
	// key is the single key property listings page on (keyset paging);
	// "" pages with $skip (sets with composite keys).
	key    string
	expand string
	// filter is a fixed $filter of the listing.
	filter     string
	changeTime bool
	remoteID   func(rec) string
	mapFn      func(rec) any
	// path is the entity path of a remote id, false when the id is not one
	// of this source's.
	path func(remoteID string) (string, bool)
}

// quote writes an OData string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func byKey(set string) func(string) (string, bool) {
	return func(id string) (string, bool) {
		if id == "" {
			return "", false
		}
		return set + "(" + quote(id) + ")", true
	}
}

func field(k string) func(rec) string { return func(m rec) string { return m.str(k) } }

// stockFilter selects unrestricted-use stock without batch or special
// stock: one record per material and storage location.
const stockFilter = "InventoryStockType eq '01' and InventorySpecialStockType eq '' and Batch eq ''"

func stockPath(id string) (string, bool) {
	m, p, sl, ok := splitInventoryID(id)
	if !ok {
		return "", false
	}
	return "A_MatlStkInAcctMod(Material=" + quote(m) + ",Plant=" + quote(p) + ",StorageLocation=" + quote(sl) +
		",Batch='',Supplier='',Customer='',WBSElementInternalID='',SDDocument='',SDDocumentItem='',InventorySpecialStockType='',InventoryStockType='01')", true
}

func prefixed(prefix string, path func(string) (string, bool)) func(string) (string, bool) {
	return func(id string) (string, bool) {
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok {
			return "", false
		}
		return path(rest)
	}
}

var sources = map[string][]*source{
	model.WorkOrders: {{collection: model.WorkOrders, service: "API_MAINTENANCEORDER", set: "MaintenanceOrder", key: "MaintenanceOrder",
		changeTime: true, remoteID: field("MaintenanceOrder"), mapFn: func(m rec) any { return workOrderFrom(m) }, path: byKey("MaintenanceOrder")}},
	model.Assets: {{collection: model.Assets, service: "API_EQUIPMENT", set: "Equipment", key: "Equipment",
		filter: "ValidityEndDate eq datetime'9999-12-31T00:00:00'", changeTime: true, remoteID: field("Equipment"),
		mapFn: func(m rec) any { return assetFrom(m) }, path: func(id string) (string, bool) {
			if id == "" {
				return "", false
			}
			return "Equipment(Equipment=" + quote(id) + ",ValidityEndDate=datetime'9999-12-31T00:00:00')", true
		}}},
	model.Locations: {
		{collection: model.Locations, service: "API_PLANT_SRV", set: "A_Plant", key: "Plant",
			remoteID: func(m rec) string { return plantID(m.str("Plant")) }, mapFn: func(m rec) any { return plantFrom(m) },
			path: prefixed(plantPrefix, byKey("A_Plant"))},
		{collection: model.Locations, service: "API_STORAGELOCATION_SRV", set: "StorageLocation",
			remoteID: func(m rec) string { return slocID(m.str("Plant"), m.str("StorageLocation")) },
			mapFn:    func(m rec) any { return storageLocationFrom(m) },
			path: prefixed(slocPrefix, func(id string) (string, bool) {
				p, sl, ok := strings.Cut(id, "/")
				if !ok || p == "" || sl == "" {
					return "", false
				}
				return "StorageLocation(Plant=" + quote(p) + ",StorageLocation=" + quote(sl) + ")", true
			})},
		{collection: model.Locations, service: "API_FUNCTIONALLOCATION", set: "FunctionalLocation", key: "FunctionalLocation",
			remoteID: func(m rec) string { return flocID(m.str("FunctionalLocation")) },
			mapFn:    func(m rec) any { return functionalLocationFrom(m) }, path: prefixed(flocPrefix, byKey("FunctionalLocation"))},
	},
	model.Parts: {{collection: model.Parts, service: "API_PRODUCT_SRV", set: "A_Product", key: "Product", expand: "to_Description",
		changeTime: true, remoteID: field("Product"), mapFn: func(m rec) any { return partFrom(m) }, path: byKey("A_Product")}},
	model.InventoryLevels: {{collection: model.InventoryLevels, service: "API_MATERIAL_STOCK_SRV", set: "A_MatlStkInAcctMod",
		filter: stockFilter, remoteID: func(m rec) string {
			return inventoryID(m.str("Material"), m.str("Plant"), m.str("StorageLocation"))
		}, mapFn: func(m rec) any { return inventoryFrom(m) }, path: stockPath}},
	model.PurchaseOrders: {{collection: model.PurchaseOrders, service: "API_PURCHASEORDER_PROCESS_SRV", set: "A_PurchaseOrder",
		key: "PurchaseOrder", expand: "to_PurchaseOrderItem", changeTime: true, remoteID: field("PurchaseOrder"),
		mapFn: func(m rec) any { return purchaseOrderFrom(m) }, path: byKey("A_PurchaseOrder")}},
	model.Vendors: {{collection: model.Vendors, service: "API_BUSINESS_PARTNER", set: "A_Supplier", key: "Supplier",
		remoteID: field("Supplier"), mapFn: func(m rec) any { return vendorFrom(m) }, path: byKey("A_Supplier")}},
}

// pageToken is the state of a listing between pages: the source (for
// locations), the last key listed (keyset paging) or the offset ($skip
// paging), the lower bound of the change time, and the listing's start by
// SAP's clock (its Date header), which becomes the cursor.
type pageToken struct {
	Source int    `json:"s,omitempty"`
	After  string `json:"a,omitempty"`
	Offset int    `json:"o,omitempty"`
	Since  int64  `json:"t,omitempty"`
	Began  int64  `json:"b"`
	Size   int    `json:"n"`
}

func (t pageToken) encode() string {
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(s string, sources int) (pageToken, bool) {
	var t pageToken
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &t) != nil || t.Size <= 0 || t.Size > maxPageSize || t.Source < 0 || t.Source >= sources || t.Offset < 0 {
		return pageToken{}, false
	}
	return t, true
}

// query is a source's listing query for a page token.
func (src *source) query(tok pageToken) url.Values {
	q := url.Values{"$top": {strconv.Itoa(tok.Size)}}
	var filters []string
	if src.filter != "" {
		filters = append(filters, src.filter)
	}
	if src.key != "" {
		q.Set("$orderby", src.key)
		if tok.After != "" {
			filters = append(filters, src.key+" gt "+quote(tok.After))
		}
	} else if tok.Offset > 0 {
		q.Set("$skip", strconv.Itoa(tok.Offset))
	}
	if src.changeTime && tok.Since > 0 {
		filters = append(filters, "LastChangeDateTime ge datetimeoffset'"+time.Unix(tok.Since, 0).UTC().Format("2006-01-02T15:04:05Z")+"'")
	}
	if len(filters) > 0 {
		q.Set("$filter", strings.Join(filters, " and "))
	}
	if src.expand != "" {
		q.Set("$expand", src.expand)
	}
	return q
}

// ListChanges lists one page, in key order, of the records changed since
// the cursor (all records without one). Pages follow the key (keyset
// paging: a record created while a listing runs shifts no page), or $skip
// on sets with composite keys; the cursor is the time the listing began by
// SAP's clock, so a record changed while it ran comes back in the next one.
func (c *Connector) ListChanges(ctx context.Context, cfg connector.Config, req connector.ListRequest) (connector.Page, error) {
	srcs := sources[req.Collection]
	if srcs == nil || !supports(req.Collection, opList) {
		return c.Unimplemented.ListChanges(ctx, cfg, req)
	}
	s, err := c.session(cfg)
	if err != nil {
		return connector.Page{}, err
	}
	delta := supports(req.Collection, opListChanges)
	var tok pageToken
	if req.PageToken != "" {
		var ok bool
		if tok, ok = decodeToken(req.PageToken, len(srcs)); !ok {
			return connector.Page{}, invalid("page_token", "is not a page token of this listing")
		}
	} else {
		tok.Size = req.PageSize
		if tok.Size <= 0 || tok.Size > maxPageSize {
			tok.Size = maxPageSize
		}
		switch {
		case !delta:
		case req.Cursor != "":
			t, err := time.Parse(time.RFC3339, req.Cursor)
			if err != nil {
				return connector.Page{}, invalid("cursor", "is not a cursor of the SAP connector")
			}
			tok.Since = t.Add(-overlap).Unix()
		case !req.Since.IsZero():
			tok.Since = req.Since.Unix()
		}
	}
	var out connector.Page
	for {
		src := srcs[tok.Source]
		page, err := s.list(ctx, src.service, src.set, src.query(tok))
		if err != nil {
			return connector.Page{}, err
		}
		if tok.Began == 0 {
			tok.Began = page.date.Unix()
		}
		for _, m := range page.records {
			out.Records = append(out.Records, src.record(m))
		}
		if n := len(page.records); n > 0 && (n >= tok.Size || page.next) {
			if src.key != "" {
				tok.After = rec(page.records[n-1]).str(src.key)
			} else {
				tok.Offset += n
			}
			out.NextPageToken = tok.encode()
			return out, nil
		}
		if tok.Source+1 < len(srcs) {
			tok.Source, tok.After, tok.Offset = tok.Source+1, "", 0
			if len(out.Records) > 0 {
				out.NextPageToken = tok.encode()
				return out, nil
			}
			continue
		}
		if delta {
			out.Cursor = time.Unix(tok.Began, 0).UTC().Format(time.RFC3339)
		}
		return out, nil
	}
}

// Get returns one record.
func (c *Connector) Get(ctx context.Context, cfg connector.Config, collection, remoteID string) (*connectorv1.Record, error) {
	if !supports(collection, opGet) {
		return c.Unimplemented.Get(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	m, _, src, err := s.read(ctx, collection, remoteID)
	if err != nil {
		return nil, err
	}
	return src.record(m), nil
}

// read returns the raw record of a remote id, its ETag and its source.
func (s *session) read(ctx context.Context, collection, remoteID string) (rec, string, *source, error) {
	for _, src := range sources[collection] {
		path, ok := src.path(remoteID)
		if !ok {
			continue
		}
		var q url.Values
		if src.expand != "" {
			q = url.Values{"$expand": {src.expand}}
		}
		m, etag, err := s.entity(ctx, src.service, path, q)
		if err != nil {
			return nil, "", nil, err
		}
		return m, etag, src, nil
	}
	return nil, "", nil, apierr.New(apierr.NotFound, "%s has no %s record %q", systemName, collection, remoteID).With("system", systemName)
}
