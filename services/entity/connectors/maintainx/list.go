package maintainx

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

const (
	defaultPageSize = 100
	maxPageSize     = 200
	// overlap is how far before its cursor an incremental listing starts
	// again, so that a change committed while the previous listing ended is
	// not missed (MaintainX stamps updatedAt with milliseconds, but a write
	// may commit after a later-stamped one). Records changed in the overlap
	// come back; the entity store drops them unchanged.
	overlap = 2 * time.Second
)

// kind is one MaintainX resource read as one unified collection: T is the
// spec's JSON shape, records maps one record (a part gives one inventory
// level per location).
type kind[T any] struct {
	path, one, many string
	// deltas: the list takes updatedAt[gte].
	deltas bool
	// detail: list items are partial (purchase orders, vendors), so each
	// listed record is read with a GET.
	detail  bool
	expand  []string
	updated func(*T) string
	idOf    func(*T) string
	records func(*T, *session) []*connectorv1.Record
}

// reader is what ListChanges and Get need of a kind.
type reader interface {
	list(ctx context.Context, s *session, q url.Values) (recs []*connectorv1.Record, newest, next string, err error)
	get(ctx context.Context, s *session, id int64) ([]*connectorv1.Record, error)
	base() (deltas bool, expand []string)
}

func (k *kind[T]) base() (bool, []string) { return k.deltas, k.expand }

func (k *kind[T]) list(ctx context.Context, s *session, q url.Values) ([]*connectorv1.Record, string, string, error) {
	var p struct{ NextCursor *string }
	data, err := s.call(ctx, "GET", s.url("/"+k.path, q), nil)
	if err != nil {
		return nil, "", "", err
	}
	var raw map[string]json.RawMessage
	if err := decode(data, &raw); err != nil {
		return nil, "", "", err
	}
	var items []json.RawMessage
	if err := decode(raw[k.many], &items); err != nil {
		return nil, "", "", err
	}
	if c, ok := raw["nextCursor"]; ok {
		_ = json.Unmarshal(c, &p.NextCursor)
	}
	var out []*connectorv1.Record
	newest := ""
	for _, item := range items {
		it := new(T)
		if err := decode(item, it); err != nil {
			return nil, "", "", err
		}
		if u := k.updated(it); laterThan(u, newest) {
			newest = u
		}
		if k.detail {
			n, _ := parseID(k.idOf(it))
			recs, err := k.get(ctx, s, n)
			if ae, ok := err.(*apierr.Error); ok && ae.Reason == apierr.NotFound {
				continue // deleted since it was listed
			}
			if err != nil {
				return nil, "", "", err
			}
			out = append(out, recs...)
			continue
		}
		out = append(out, k.recordsOf(it, item, s)...)
	}
	next := ""
	if p.NextCursor != nil {
		next = *p.NextCursor
	}
	return out, newest, next, nil
}

func (k *kind[T]) get(ctx context.Context, s *session, n int64) ([]*connectorv1.Record, error) {
	q := url.Values{}
	for _, e := range k.expand {
		q.Add("expand", e)
	}
	data, err := s.call(ctx, "GET", s.url("/"+k.path+"/"+id(n), q), nil)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := decode(data, &raw); err != nil {
		return nil, err
	}
	var it T
	if err := decode(raw[k.one], &it); err != nil {
		return nil, err
	}
	return k.recordsOf(&it, raw[k.one], s), nil
}

// recordsOf maps a record, each of its connector records carrying the
// record's JSON as MaintainX sent it.
func (k *kind[T]) recordsOf(it *T, raw json.RawMessage, s *session) []*connectorv1.Record {
	recs := k.records(it, s)
	remote, err := connector.RemoteJSON(raw)
	if err != nil {
		return recs
	}
	for _, r := range recs {
		r.RemoteJson = remote
	}
	return recs
}

// laterThan compares two RFC 3339 times; an unreadable a is never later.
func laterThan(a, b string) bool {
	ta, err := time.Parse(time.RFC3339Nano, a)
	if err != nil {
		return false
	}
	tb, err := time.Parse(time.RFC3339Nano, b)
	return err != nil || ta.After(tb)
}

func rec(collection, remoteID, updated string) *connectorv1.Record {
	r := &connectorv1.Record{Collection: collection, RemoteId: remoteID}
	if t, err := time.Parse(time.RFC3339Nano, updated); err == nil {
		r.RemoteUpdateTime = timestamppb.New(t)
	}
	return r
}

func one(r *connectorv1.Record) []*connectorv1.Record { return []*connectorv1.Record{r} }

// kinds maps each collection to its resource.
var kinds = map[string]reader{
	model.WorkOrders: &kind[workOrderJSON]{path: "workorders", one: "workOrder", many: "workOrders", deltas: true,
		expand:  []string{"asset", "assignees", "extra_fields", "estimated_time"},
		updated: func(w *workOrderJSON) string { return w.UpdatedAt }, idOf: func(w *workOrderJSON) string { return id(w.ID) },
		records: func(w *workOrderJSON, _ *session) []*connectorv1.Record {
			r := rec(model.WorkOrders, id(w.ID), w.UpdatedAt)
			r.Data = &connectorv1.Record_WorkOrder{WorkOrder: workOrderFrom(w)}
			return one(r)
		}},
	model.Assets: &kind[assetJSON]{path: "assets", one: "asset", many: "assets", deltas: true,
		updated: func(a *assetJSON) string { return a.UpdatedAt }, idOf: func(a *assetJSON) string { return id(a.ID) },
		records: func(a *assetJSON, _ *session) []*connectorv1.Record {
			r := rec(model.Assets, id(a.ID), a.UpdatedAt)
			r.Data = &connectorv1.Record_Asset{Asset: assetFrom(a)}
			return one(r)
		}},
	model.Locations: &kind[locationJSON]{path: "locations", one: "location", many: "locations",
		updated: func(l *locationJSON) string { return l.UpdatedAt }, idOf: func(l *locationJSON) string { return id(l.ID) },
		records: func(l *locationJSON, _ *session) []*connectorv1.Record {
			r := rec(model.Locations, id(l.ID), l.UpdatedAt)
			r.Data = &connectorv1.Record_Location{Location: locationFrom(l)}
			return one(r)
		}},
	model.Parts: &kind[partJSON]{path: "parts", one: "part", many: "parts", deltas: true,
		updated: func(p *partJSON) string { return p.UpdatedAt }, idOf: func(p *partJSON) string { return id(p.ID) },
		records: func(p *partJSON, s *session) []*connectorv1.Record {
			r := rec(model.Parts, id(p.ID), p.UpdatedAt)
			r.Data = &connectorv1.Record_Part{Part: partFrom(p, s.currency)}
			return one(r)
		}},
	model.InventoryLevels: &kind[partJSON]{path: "parts", one: "part", many: "parts", deltas: true,
		updated: func(p *partJSON) string { return p.UpdatedAt }, idOf: func(p *partJSON) string { return id(p.ID) },
		records: func(p *partJSON, s *session) []*connectorv1.Record {
			out := make([]*connectorv1.Record, 0, len(p.Locations))
			for i := range p.Locations {
				r := rec(model.InventoryLevels, inventoryID(p.ID, p.Locations[i].LocationID), p.UpdatedAt)
				r.Data = &connectorv1.Record_InventoryLevel{InventoryLevel: inventoryFrom(p, &p.Locations[i], s.currency)}
				out = append(out, r)
			}
			return out
		}},
	model.PurchaseOrders: &kind[purchaseOrderJSON]{path: "purchaseorders", one: "purchaseOrder", many: "purchaseOrders", deltas: true, detail: true,
		updated: func(p *purchaseOrderJSON) string { return text(p.UpdatedAt) }, idOf: func(p *purchaseOrderJSON) string { return p.ID.String() },
		records: func(p *purchaseOrderJSON, s *session) []*connectorv1.Record {
			r := rec(model.PurchaseOrders, p.ID.String(), text(p.UpdatedAt))
			r.Data = &connectorv1.Record_PurchaseOrder{PurchaseOrder: purchaseOrderFrom(p, s.currency)}
			return one(r)
		}},
	model.Vendors: &kind[vendorJSON]{path: "vendors", one: "vendor", many: "vendors", detail: true,
		updated: func(*vendorJSON) string { return "" }, idOf: func(v *vendorJSON) string { return id(v.ID) },
		records: func(v *vendorJSON, _ *session) []*connectorv1.Record {
			r := rec(model.Vendors, id(v.ID), "")
			r.Data = &connectorv1.Record_Vendor{Vendor: vendorFrom(v)}
			return one(r)
		}},
	model.Users: &kind[userJSON]{path: "users", one: "user", many: "users",
		updated: func(*userJSON) string { return "" }, idOf: func(u *userJSON) string { return id(u.ID) },
		records: func(u *userJSON, _ *session) []*connectorv1.Record {
			r := rec(model.Users, id(u.ID), "")
			r.Data = &connectorv1.Record_User{User: userFrom(u)}
			return one(r)
		}},
}

// pageToken is what a listing carries from page to page: the updatedAt
// floor, MaintainX's cursor, and the newest updatedAt seen so far.
type pageToken struct {
	Floor  string `json:"f,omitempty"`
	Cursor string `json:"c"`
	Newest string `json:"n,omitempty"`
	Size   int    `json:"s,omitempty"`
}

func (p pageToken) encode() string {
	raw, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(s string) (pageToken, bool) {
	var p pageToken
	raw, err := base64.RawURLEncoding.DecodeString(s)
	return p, err == nil && json.Unmarshal(raw, &p) == nil && p.Cursor != ""
}

// ListChanges lists one page of a collection in updatedAt order; with a
// cursor (the newest updatedAt of the previous complete listing) only the
// records changed since it, less the overlap.
func (c *Connector) ListChanges(ctx context.Context, cfg connector.Config, req connector.ListRequest) (connector.Page, error) {
	k, ok := kinds[req.Collection]
	if !ok || !supports(req.Collection, opList) {
		return c.Unimplemented.ListChanges(ctx, cfg, req)
	}
	s, err := c.session(cfg)
	if err != nil {
		return connector.Page{}, err
	}
	deltas, expand := k.base()
	var tok pageToken
	if req.PageToken != "" {
		if tok, ok = decodeToken(req.PageToken); !ok {
			return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "page_token", Description: "is not a page token of this listing"})
		}
	} else {
		tok.Size = req.PageSize
		if tok.Size <= 0 {
			tok.Size = defaultPageSize
		}
		tok.Size = min(tok.Size, maxPageSize)
		if deltas && supports(req.Collection, opListChanges) {
			switch {
			case req.Cursor != "":
				t, err := time.Parse(time.RFC3339Nano, req.Cursor)
				if err != nil {
					return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "cursor", Description: "is not a cursor of the MaintainX connector"})
				}
				tok.Floor = t.Add(-overlap).UTC().Format(time.RFC3339Nano)
			case !req.Since.IsZero():
				tok.Floor = req.Since.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	q := url.Values{"limit": {strconv.Itoa(max(tok.Size, 1))}}
	if deltas {
		q.Set("sort", "updatedAt")
	}
	for _, e := range expand {
		q.Add("expand", e)
	}
	if tok.Floor != "" {
		q.Set("updatedAt[gte]", tok.Floor)
	}
	if tok.Cursor != "" {
		q.Set("cursor", tok.Cursor)
	}
	recs, newest, next, err := k.list(ctx, s, q)
	if err != nil {
		return connector.Page{}, err
	}
	if laterThan(newest, tok.Newest) {
		tok.Newest = newest
	}
	out := connector.Page{Records: recs}
	if next != "" {
		tok.Cursor = next
		out.NextPageToken = tok.encode()
		return out, nil
	}
	if !deltas {
		out.Cursor = "full"
		return out, nil
	}
	switch {
	case tok.Newest != "":
		out.Cursor = tok.Newest
	case req.Cursor != "":
		out.Cursor = req.Cursor
	case !req.Since.IsZero():
		out.Cursor = req.Since.UTC().Format(time.RFC3339Nano)
	default:
		out.Cursor = time.Unix(0, 0).UTC().Format(time.RFC3339Nano)
	}
	return out, nil
}

// Get returns one record.
func (c *Connector) Get(ctx context.Context, cfg connector.Config, collection, remoteID string) (*connectorv1.Record, error) {
	k, ok := kinds[collection]
	if !ok || !supports(collection, opGet) {
		return c.Unimplemented.Get(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	rid := remoteID
	if collection == model.InventoryLevels {
		rid, _, _ = strings.Cut(remoteID, ":")
	}
	n, err := parseID(rid)
	if err != nil {
		return nil, notFound(collection, remoteID)
	}
	recs, err := k.get(ctx, s, n)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.GetRemoteId() == remoteID {
			return r, nil
		}
	}
	return nil, notFound(collection, remoteID)
}

func notFound(collection, remoteID string) error {
	return apierr.New(apierr.NotFound, "%s has no %s %q", systemName, collection, remoteID).With("system", systemName)
}
