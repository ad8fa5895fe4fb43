package maximo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

const (
	// defaultPageSize is the page size when the caller gives none, as a
	// sync's pulls do: within the rate limit (20 calls a second), pages of
	// 2000 let a first sync move 40,000 records a second, not 20,000 (the
	// store, not Maximo, is then the limit), and ask Maximo half as often
	// for the same records.
	defaultPageSize = 2000
	// maxPageSize is Maximo's usual cap (mxe.oslc.maxpagesize).
	maxPageSize = 10000
	// overlap is how far before its cursor an incremental listing starts,
	// so that a change committed in the second the previous listing ended
	// (Maximo's changedate has whole seconds) is not missed. Records changed
	// in the overlap come back; the entity store drops them unchanged.
	overlap = 2 * time.Second
)

// page is one page of a collection query: its members, each decoded with
// its remote data (see dropped), and the next page's URL, if any.
type page struct {
	members []connector.RemoteRecord
	next    string
}

// dropped are the attributes a member's remote data leaves out, at any
// depth: its hrefs (which name the server and change with it) and its
// _rowstamp (the row's version, not an attribute).
var dropped = []string{"href", "localref", "_rowstamp"}

// getPage GETs a page of a collection query and reads it in one pass.
func (s *session) getPage(ctx context.Context, u *url.URL) (page, error) {
	r, err := s.call(ctx, http.MethodGet, u, nil, nil)
	if err != nil {
		return page{}, err
	}
	bad := func(err error) error {
		return apierr.New(apierr.ConnectedSystemError, "%s answered with a page that cannot be read: %v", systemName, err).With("system", systemName)
	}
	members, top, err := connector.DecodeRemotePage(r.body, "member", dropped...)
	if err != nil {
		return page{}, bad(err)
	}
	p := page{members: members}
	if raw, ok := top["responseInfo"]; ok {
		var info struct {
			NextPage *struct {
				Href string `json:"href"`
			} `json:"nextPage"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			return page{}, bad(err)
		}
		if info.NextPage != nil {
			p.next = info.NextPage.Href
		}
	}
	return p, nil
}

// object returns the object of a collection that supports an operation.
func (c *Connector) object(collection string, o op) (*object, bool) {
	obj := objects[collection]
	return obj, obj != nil && supports(collection, o)
}

// ListChanges lists one page of the records changed since the cursor, in
// changedate order.
//
// The page token is the path and query of Maximo's responseInfo.nextPage
// href; the cursor is the latest changedate of the complete listing.
func (c *Connector) ListChanges(ctx context.Context, cfg connector.Config, req connector.ListRequest) (connector.Page, error) {
	obj, ok := c.object(req.Collection, opList)
	if !ok {
		return c.Unimplemented.ListChanges(ctx, cfg, req)
	}
	s, err := c.session(cfg)
	if err != nil {
		return connector.Page{}, err
	}
	var floor, cursor time.Time
	if req.Cursor != "" {
		if cursor, err = time.Parse(time.RFC3339, req.Cursor); err != nil {
			return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "cursor", Description: "is not a cursor of the Maximo connector"})
		}
		floor = cursor.Add(-overlap)
	} else if !req.Since.IsZero() {
		floor = req.Since
	}
	var u *url.URL
	if req.PageToken != "" {
		if u, err = s.follow(req.PageToken, obj); err != nil {
			return connector.Page{}, apierr.InvalidFields(apierr.FieldViolation{Field: "page_token", Description: "is not a page token of this listing"})
		}
	} else {
		where := obj.filter
		if !floor.IsZero() {
			where = and(where, `changedate>="`+formatDate(floor)+`"`)
		}
		size := req.PageSize
		if size <= 0 {
			size = defaultPageSize
		}
		u = s.query(obj, where, min(size, maxPageSize))
	}
	p, err := s.getPage(ctx, u)
	if err != nil {
		return connector.Page{}, err
	}
	e, err := s.env(ctx, obj)
	if err != nil {
		return connector.Page{}, err
	}
	out := connector.Page{Records: make([]*connectorv1.Record, 0, len(p.members))}
	var newest int64
	for _, m := range p.members {
		r := obj.record(m.Fields, m.JSON, e)
		out.Records = append(out.Records, r)
		if t := r.GetRemoteUpdateTime(); t != nil && t.GetSeconds() > newest {
			newest = t.GetSeconds()
		}
	}
	if p.next != "" {
		nu, err := s.local(p.next, osPath(obj.os))
		if err != nil {
			return connector.Page{}, apierr.New(apierr.ConnectedSystemError, "%s gave a next page outside the collection: %v", systemName, err).With("system", systemName)
		}
		out.NextPageToken = nu.EscapedPath() + "?" + nu.RawQuery
		return out, nil
	}
	// The listing is in changedate order, and a record changed while it
	// was paged moves to its end, so the last page holds its latest change.
	// The cursor never goes back (the overlap may list only older records);
	// a listing without records keeps where it started.
	switch {
	case newest > 0 && newest > cursor.Unix():
		out.Cursor = time.Unix(newest, 0).UTC().Format(time.RFC3339)
	case req.Cursor != "":
		out.Cursor = req.Cursor
	case !req.Since.IsZero():
		out.Cursor = req.Since.UTC().Format(time.RFC3339)
	default:
		out.Cursor = time.Unix(0, 0).UTC().Format(time.RFC3339)
	}
	return out, nil
}

// follow returns the URL of a page token: a path and query resolved against
// the base URL, which must be the collection's own path.
func (s *session) follow(token string, obj *object) (*url.URL, error) {
	u, err := url.Parse(token)
	switch {
	case err != nil:
		return nil, err
	case u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(token, "/") || strings.HasPrefix(token, "//"):
		return nil, errors.New("a page token is a path and a query")
	case !strings.EqualFold(u.Path, s.base.Path+osPath(obj.os)):
		return nil, errors.New("the page token is not of this collection")
	}
	return s.under(u.EscapedPath(), u.RawQuery, osPath(obj.os))
}

func and(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " and " + b
}

// query is the URL of a collection query in changedate order.
func (s *session) query(obj *object, where string, pageSize int) *url.URL {
	q := url.Values{
		"lean":          {"1"},
		"oslc.select":   {obj.sel},
		"oslc.orderBy":  {"+changedate"},
		"oslc.pageSize": {strconv.Itoa(pageSize)},
	}
	if where != "" {
		q.Set("oslc.where", where)
	}
	return s.apiURL(osPath(obj.os), q)
}

// env returns what the object's mapping needs: the base currency, read
// once an hour from whoami, for collections with money.
func (s *session) env(ctx context.Context, obj *object) (*env, error) {
	e := &env{}
	if !obj.money {
		return e, nil
	}
	info, err := s.whoami(ctx, true)
	if err != nil {
		return nil, err
	}
	e.currency = info.BaseCurrency
	return e, nil
}

// Get returns one record.
func (c *Connector) Get(ctx context.Context, cfg connector.Config, collection, remoteID string) (*connectorv1.Record, error) {
	obj, ok := c.object(collection, opGet)
	if !ok {
		return c.Unimplemented.Get(ctx, cfg, collection, remoteID)
	}
	s, err := c.session(cfg)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, obj, remoteID)
}

// read returns the member of a remote id, with its href and _rowstamp, and
// its remote data, by a query on its key (no need to know how Maximo
// encodes member ids).
func (s *session) read(ctx context.Context, obj *object, remoteID string) (member, []byte, error) {
	where, parts, ok := obj.keyWhere(remoteID)
	if !ok {
		return nil, nil, notFound(obj, remoteID)
	}
	p, err := s.getPage(ctx, s.query(obj, where, 10))
	if err != nil {
		return nil, nil, err
	}
	for _, m := range p.members {
		if obj.matches(m.Fields, parts) {
			return m.Fields, m.JSON, nil
		}
	}
	return nil, nil, notFound(obj, remoteID)
}

func notFound(obj *object, remoteID string) error {
	return apierr.New(apierr.NotFound, "%s has no %s %q", systemName, obj.noun, remoteID).With("system", systemName)
}
