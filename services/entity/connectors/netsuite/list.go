package netsuite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
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
	collLocations      = model.Locations
	collParts          = model.Parts
	collInventory      = model.InventoryLevels
	collPurchaseOrders = model.PurchaseOrders
	collVendors        = model.Vendors
	collUsers          = model.Users
)

const (
	// maxPageSize is NetSuite's largest limit.
	maxPageSize = 1000
	// defaultPageSize keeps a page's record reads (one call each) short.
	defaultPageSize = 200
	// overlap is how far before its cursor an incremental listing starts:
	// NetSuite's change filter reads whole minutes, and its clock may
	// differ from its Date header by a few seconds. Records changed in the
	// overlap come back; the entity store drops them unchanged.
	overlap = time.Minute
)

// resource is what the connector knows of one collection's record type.
type resource struct {
	collection string
	typ        string // the record type, such as "purchaseOrder"
	noun       string
	// changes says whether q can filter on lastModifiedDate; without it a
	// listing is a full snapshot.
	changes bool
	// account says whether the mapping needs the currencies.
	account bool
}

var resources = map[string]*resource{
	collLocations:      {collection: collLocations, typ: "location", noun: "location"},
	collParts:          {collection: collParts, typ: "inventoryItem", noun: "inventory item", changes: true, account: true},
	collInventory:      {collection: collInventory, typ: "inventoryItem", noun: "inventory level", changes: true, account: true},
	collPurchaseOrders: {collection: collPurchaseOrders, typ: "purchaseOrder", noun: "purchase order", changes: true, account: true},
	collVendors:        {collection: collVendors, typ: "vendor", noun: "vendor", changes: true, account: true},
	collUsers:          {collection: collUsers, typ: "employee", noun: "employee", changes: true},
}

func (c *Connector) resource(collection string, o op) (*resource, bool) {
	r := resources[collection]
	return r, r != nil && supports(collection, o)
}

// pageToken is the state of a listing between pages: the offset of the
// next page, the change filter's lower bound, and the time the listing
// began by NetSuite's clock (its Date header), which becomes the cursor.
type pageToken struct {
	Offset int   `json:"o"`
	Since  int64 `json:"s,omitempty"`
	Began  int64 `json:"b"`
	Size   int   `json:"n"`
}

func (t pageToken) encode() string {
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(s string) (pageToken, bool) {
	var t pageToken
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &t) != nil || t.Offset <= 0 || t.Size <= 0 || t.Size > maxPageSize || t.Began <= 0 {
		return pageToken{}, false
	}
	return t, true
}

// changedSince is the q filter of records changed from a time on, in
// N/query's date format and the user's time zone, to the minute.
func (s *session) changedSince(t time.Time) string {
	return `lastModifiedDate ON_OR_AFTER "` + t.In(s.zone).Format("1/2/2006 3:04 pm") + `"`
}

// ListChanges lists one page, in internal id order, of the records changed
// since the cursor (all records without one): a page of ids from the
// record collection (q on lastModifiedDate), then each record with its
// sublists expanded, read concurrently within the connection's limit. The
// cursor is the time the listing began by NetSuite's clock, so a record
// changed while it ran comes back in the next listing.
func (c *Connector) ListChanges(ctx context.Context, cfg connector.Config, req connector.ListRequest) (connector.Page, error) {
	res, ok := c.resource(req.Collection, opList)
	if !ok {
		return c.Unimplemented.ListChanges(ctx, cfg, req)
	}
	s, err := c.session(cfg)
	if err != nil {
		return connector.Page{}, err
	}
	var tok pageToken
	if req.PageToken != "" {
		if tok, ok = decodeToken(req.PageToken); !ok {
			return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "page_token", Description: "is not a page token of this listing"})
		}
	} else {
		tok.Size = req.PageSize
		if tok.Size <= 0 || tok.Size > maxPageSize {
			tok.Size = defaultPageSize
		}
		if res.changes {
			switch {
			case req.Cursor != "":
				t, err := time.Parse(time.RFC3339, req.Cursor)
				if err != nil {
					return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "cursor", Description: "is not a cursor of the NetSuite connector"})
				}
				tok.Since = t.Add(-overlap).Unix()
			case !req.Since.IsZero():
				tok.Since = req.Since.Unix()
			}
		}
	}
	q := url.Values{"limit": {strconv.Itoa(tok.Size)}, "offset": {strconv.Itoa(tok.Offset)}}
	if tok.Since > 0 {
		q.Set("q", s.changedSince(time.Unix(tok.Since, 0)))
	}
	resp, data, err := s.call(ctx, http.MethodGet, res.typ, q, nil)
	if err != nil {
		return connector.Page{}, err
	}
	page, err := decode(res.typ, data)
	if err != nil {
		return connector.Page{}, err
	}
	if tok.Began == 0 {
		tok.Began = serverTime(resp)
	}
	items := list(page, "items")
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = str(it, "id")
	}
	recs, err := s.mapRecords(ctx, res, ids)
	if err != nil {
		return connector.Page{}, err
	}
	out := connector.Page{Records: recs}
	if page["hasMore"] == true && len(items) > 0 {
		tok.Offset += len(items)
		out.NextPageToken = tok.encode()
		return out, nil
	}
	if res.changes {
		out.Cursor = time.Unix(tok.Began, 0).UTC().Format(time.RFC3339)
	}
	return out, nil
}

// serverTime is NetSuite's clock: the Date of its answer, or this host's.
func serverTime(resp *http.Response) int64 {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t.Unix()
	}
	return time.Now().Unix()
}

// mapRecords reads records by id and maps them.
func (s *session) mapRecords(ctx context.Context, res *resource, ids []string) ([]*connectorv1.Record, error) {
	var a *accountInfo
	if res.account && len(ids) > 0 {
		var err error
		if a, err = s.account(ctx); err != nil {
			return nil, err
		}
	}
	raw, err := s.records(ctx, res.typ, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*connectorv1.Record, 0, len(raw))
	for _, m := range raw {
		out = append(out, res.toRecords(m, a)...)
	}
	return out, nil
}

// Get returns one record; an inventory level is read from its item.
func (c *Connector) Get(ctx context.Context, cfg connector.Config, collection, remoteID string) (*connectorv1.Record, error) {
	res, ok := c.resource(collection, opGet)
	if !ok {
		return c.Unimplemented.Get(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, res, remoteID)
}

func (s *session) get(ctx context.Context, res *resource, remoteID string) (*connectorv1.Record, error) {
	id, want := remoteID, ""
	if res.collection == collInventory {
		var ok bool
		if id, want, ok = strings.Cut(remoteID, ":"); !ok {
			return nil, notFound(res, remoteID)
		}
	}
	if !internalID(id) && !strings.HasPrefix(id, "eid:") {
		return nil, notFound(res, remoteID)
	}
	m, err := s.record(ctx, res.typ, id)
	if err != nil {
		return nil, err
	}
	var a *accountInfo
	if res.account {
		if a, err = s.account(ctx); err != nil {
			return nil, err
		}
	}
	for _, r := range res.toRecords(m, a) {
		if want == "" || r.GetRemoteId() == remoteID {
			return r, nil
		}
	}
	return nil, notFound(res, remoteID)
}

// internalID reports whether s is a NetSuite internal id.
func internalID(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func notFound(res *resource, remoteID string) error {
	return apierr.New(apierr.NotFound, "%s has no %s %q", systemName, res.noun, remoteID).With("system", systemName)
}
