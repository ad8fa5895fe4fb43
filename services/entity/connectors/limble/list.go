package limble

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
	collWorkOrders     = model.WorkOrders
	collAssets         = model.Assets
	collLocations      = model.Locations
	collParts          = model.Parts
	collInventory      = model.InventoryLevels
	collPurchaseOrders = model.PurchaseOrders
	collVendors        = model.Vendors
	collUsers          = model.Users
)

const (
	// maxPageSize is Limble's largest limit, and the default page size.
	maxPageSize = 1000
	// overlap is how far before its cursor an incremental listing starts,
	// against clock skew between Limble's Date header and its lastEdited
	// stamps (whole seconds). Records changed in the overlap come back; the
	// entity store drops them unchanged.
	overlap = 5 * time.Second
)

// resource is what the connector knows of one collection's Limble listing.
type resource struct {
	collection string
	path       string // "/v2/tasks"
	idField    string // "taskID"
	idsParam   string // the filter by ids: "tasks"
	noun       string
	// startParam is the "edited after" filter; "" for listings that are
	// full snapshots (no change time).
	startParam string
	// needs says what the mapping needs from the account.
	statuses, currencies bool
}

var resources = map[string]*resource{
	collWorkOrders:     {collection: collWorkOrders, path: "/v2/tasks", idField: "taskID", idsParam: "tasks", noun: "task", startParam: "start", statuses: true},
	collAssets:         {collection: collAssets, path: "/v2/assets", idField: "assetID", idsParam: "assets", noun: "asset", startParam: "start"},
	collLocations:      {collection: collLocations, path: "/v2/locations", idField: "locationID", idsParam: "locations", noun: "location"},
	collParts:          {collection: collParts, path: "/v2/parts", idField: "partID", idsParam: "parts", noun: "part", startParam: "start", currencies: true},
	collInventory:      {collection: collInventory, path: "/v2/parts", idField: "partID", idsParam: "parts", noun: "part", startParam: "start", currencies: true},
	collPurchaseOrders: {collection: collPurchaseOrders, path: "/v2/po", idField: "poID", idsParam: "pos", noun: "purchase order", startParam: "lastEditedStart", currencies: true},
	collVendors:        {collection: collVendors, path: "/v2/vendors", idField: "vendorID", idsParam: "vendors", noun: "vendor", startParam: "start"},
	collUsers:          {collection: collUsers, path: "/v2/users", idField: "userID", idsParam: "users", noun: "user"},
}

// pageToken is the state of a listing between pages: the last id listed
// (Limble's id cursor), the lower bound of lastEdited, and the listing's
// start time by Limble's clock (its Date header), which becomes the cursor.
type pageToken struct {
	After int64 `json:"a"`
	Start int64 `json:"s,omitempty"`
	Began int64 `json:"b"`
	Size  int   `json:"n"`
}

func (t pageToken) encode() string {
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(s string) (pageToken, bool) {
	var t pageToken
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &t) != nil || t.After <= 0 || t.Size <= 0 || t.Size > maxPageSize {
		return pageToken{}, false
	}
	return t, true
}

func (c *Connector) resource(collection string, o op) (*resource, bool) {
	r := resources[collection]
	return r, r != nil && supports(collection, o)
}

// ListChanges lists one page, in id order, of the records edited since the
// cursor (all records without one). Pages follow Limble's id cursor (keyset
// paging: a record created or deleted while a listing runs shifts no page);
// the cursor is the time the listing began by Limble's clock, so a record
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
			tok.Size = maxPageSize
		}
		if res.startParam != "" {
			switch {
			case req.Cursor != "":
				t, err := time.Parse(time.RFC3339, req.Cursor)
				if err != nil {
					return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "cursor", Description: "is not a cursor of the Limble connector"})
				}
				tok.Start = t.Add(-overlap).Unix()
			case !req.Since.IsZero():
				tok.Start = req.Since.Unix()
			}
		}
	}
	q := url.Values{"limit": {strconv.Itoa(tok.Size)}}
	if tok.After > 0 {
		q.Set("cursor", strconv.FormatInt(tok.After, 10))
	}
	if tok.Start > 0 {
		q.Set(res.startParam, strconv.FormatInt(tok.Start, 10))
	}
	list, resp, err := s.getList(ctx, res.path, q)
	if err != nil {
		return connector.Page{}, err
	}
	if tok.Began == 0 {
		tok.Began = serverTime(resp)
	}
	recs, err := s.records(ctx, res, list)
	if err != nil {
		return connector.Page{}, err
	}
	out := connector.Page{Records: recs}
	if len(list) == tok.Size {
		tok.After = list[len(list)-1].int(res.idField)
		out.NextPageToken = tok.encode()
		return out, nil
	}
	if res.startParam != "" {
		out.Cursor = time.Unix(tok.Began, 0).UTC().Format(time.RFC3339)
	}
	return out, nil
}

// serverTime is Limble's clock: the Date of its answer, or this host's.
func serverTime(resp *http.Response) int64 {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t.Unix()
	}
	return time.Now().Unix()
}

// records maps a listed page, reading what the mapping needs besides it.
func (s *session) records(ctx context.Context, res *resource, list []*rec) ([]*connectorv1.Record, error) {
	a, err := s.account(ctx, res)
	if err != nil {
		return nil, err
	}
	var items map[int64][]*rec
	if res.collection == collPurchaseOrders && len(list) > 0 {
		if items, err = s.poItems(ctx, list); err != nil {
			return nil, err
		}
	}
	out := make([]*connectorv1.Record, 0, len(list))
	for _, r := range list {
		out = append(out, res.record(r, a, items[r.int("poID")]))
	}
	return out, nil
}

// poItems reads the lines of a page of purchase orders, by poID.
func (s *session) poItems(ctx context.Context, pos []*rec) (map[int64][]*rec, error) {
	ids := make([]string, len(pos))
	for i, p := range pos {
		ids[i] = p.ref("poID")
	}
	out := map[int64][]*rec{}
	q := url.Values{"pos": {strings.Join(ids, ",")}, "limit": {strconv.Itoa(maxPageSize)}}
	for {
		list, _, err := s.getList(ctx, "/v2/po/items", q)
		if err != nil {
			return nil, err
		}
		for _, it := range list {
			out[it.int("poID")] = append(out[it.int("poID")], it)
		}
		if len(list) < maxPageSize {
			return out, nil
		}
		q.Set("cursor", list[len(list)-1].ref("poItemID"))
	}
}

// account returns the task statuses and location currencies a mapping
// needs, read once an hour per connection.
func (s *session) account(ctx context.Context, res *resource) (*account, error) {
	if !res.statuses && !res.currencies {
		return nil, nil
	}
	raw, err := s.c.account.Get(ctx, s.cfg.Connection+"\x00"+s.base.String()+"\x00"+s.auth, func(ctx context.Context) (string, time.Time, error) {
		a := account{Statuses: map[int64]string{}, Currencies: map[int64]string{}}
		statuses, _, err := s.getList(ctx, "/v2/statuses", url.Values{"limit": {strconv.Itoa(maxPageSize)}})
		if err != nil {
			return "", time.Time{}, err
		}
		for _, m := range statuses {
			a.Statuses[m.int("statusID")] = m.str("name")
		}
		q := url.Values{"limit": {strconv.Itoa(maxPageSize)}}
		for {
			locs, _, err := s.getList(ctx, "/v2/locations", q)
			if err != nil {
				return "", time.Time{}, err
			}
			for _, m := range locs {
				a.Currencies[m.int("locationID")] = m.str("currencyCode")
			}
			if len(locs) < maxPageSize {
				break
			}
			q.Set("cursor", locs[len(locs)-1].ref("locationID"))
		}
		raw, _ := json.Marshal(a)
		return string(raw), time.Now().Add(time.Hour), nil
	})
	if err != nil {
		return nil, err
	}
	var a account
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return nil, apierr.New(apierr.Internal, "read the cached Limble account: %v", err)
	}
	return &a, nil
}

// Get returns one record, by filtering its listing on its id (Limble has no
// GET of one task, asset or part).
func (c *Connector) Get(ctx context.Context, cfg connector.Config, collection, remoteID string) (*connectorv1.Record, error) {
	res, ok := c.resource(collection, opGet)
	if !ok {
		return c.Unimplemented.Get(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	m, err := s.read(ctx, res, remoteID)
	if err != nil {
		return nil, err
	}
	recs, err := s.records(ctx, res, []*rec{m})
	if err != nil {
		return nil, err
	}
	return recs[0], nil
}

// read returns the raw record of a remote id.
func (s *session) read(ctx context.Context, res *resource, remoteID string) (*rec, error) {
	id, err := strconv.ParseInt(remoteID, 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound(res, remoteID)
	}
	list, _, err := s.getList(ctx, res.path, url.Values{res.idsParam: {remoteID}})
	if err != nil {
		return nil, err
	}
	for _, m := range list {
		if m.int(res.idField) == id {
			return m, nil
		}
	}
	return nil, notFound(res, remoteID)
}

func notFound(res *resource, remoteID string) error {
	return apierr.New(apierr.NotFound, "%s has no %s %q", systemName, res.noun, remoteID).With("system", systemName)
}
