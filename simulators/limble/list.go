package limble

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	defaultLimit = 100
	maxLimit     = 1000
)

// paging is a listing's limit and its page (page mode) or cursor.
type paging struct {
	limit, page, cursor int
	pageMode            bool
}

func intParam(v url.Values, name string) (int64, bool, *apiError) {
	s := v.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, errorf(http.StatusBadRequest, fmt.Sprintf("%q must be a number", name))
	}
	return n, true, nil
}

// idsParam reads a comma delimited list of ids; nil when absent.
func idsParam(v url.Values, name string) ([]int, *apiError) {
	s := v.Get(name)
	if s == "" {
		return nil, nil
	}
	out := []int{}
	for _, x := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, fmt.Sprintf("%q must be a comma delimited list of ids", name))
		}
		out = append(out, n)
	}
	return out, nil
}

func readPaging(v url.Values, pages bool) (paging, *apiError) {
	p := paging{limit: defaultLimit}
	if n, ok, e := intParam(v, "limit"); e != nil {
		return p, e
	} else if ok {
		if n < 1 || n > maxLimit {
			return p, errorf(http.StatusBadRequest, fmt.Sprintf(`"limit" must be between 1 and %d`, maxLimit))
		}
		p.limit = int(n)
	}
	c, hasCursor, e := intParam(v, "cursor")
	if e != nil {
		return p, e
	}
	p.cursor = int(max(c, 0))
	if pages {
		n, ok, e := intParam(v, "page")
		if e != nil {
			return p, e
		}
		if ok {
			if hasCursor {
				return p, errorf(http.StatusBadRequest, "cursor and page cannot be used simultaneously")
			}
			if n < 1 {
				return p, errorf(http.StatusBadRequest, `"page" must be greater than or equal to 1`)
			}
			p.page, p.pageMode = int(n), true
		}
	}
	return p, nil
}

// bounds reads lastEdited bounds from two parameters into a filter.
func bounds[T any](v url.Values, f *filter[T], startName, endName string) *apiError {
	var e *apiError
	if f.start, f.hasStart, e = intParam(v, startName); e != nil {
		return e
	}
	f.end, f.hasEnd, e = intParam(v, endName)
	return e
}

func in(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// serveList answers one page of a table.
func serveList[T any](s *Server, q *request, t *table[T], f *filter[T], pg paging) *apiError {
	if !pg.pageMode {
		f.after = pg.cursor
	}
	s.mu.Lock()
	recs, total := t.page(f, pg.limit, pg.page)
	s.mu.Unlock()
	if pg.pageMode {
		link := func(page int) string {
			v := q.r.URL.Query()
			v.Set("page", strconv.Itoa(page))
			return q.r.URL.Path + "?" + v.Encode()
		}
		last := max((total+pg.limit-1)/pg.limit, 1)
		h := q.w.Header()
		h.Set("Last-Page", link(last))
		if pg.page < last {
			h.Set("Next-Page", link(pg.page+1))
		}
		if pg.page > 1 {
			h.Set("Previous-Page", link(pg.page-1))
		}
	}
	if recs == nil {
		recs = []*T{}
	}
	writeJSON(q.w, http.StatusOK, recs)
	return nil
}

// list serves GET /v2/{resource} with the resource's filters.
func (s *Server) list(q *request, resource string) *apiError {
	v := q.r.URL.Query()
	pages := resource != "users" && resource != "statuses" && resource != "po/items"
	pg, e := readPaging(v, pages)
	if e != nil {
		return e
	}
	switch resource {
	case "tasks":
		f := &filter[Task]{}
		if e := bounds(v, f, "start", "end"); e != nil {
			return e
		}
		var e *apiError
		if f.ids, e = idsParam(v, "tasks"); e != nil {
			return e
		}
		assets, e1 := idsParam(v, "assets")
		locs, e2 := idsParam(v, "locations")
		types, e3 := idsParam(v, "type")
		users, e4 := idsParam(v, "users")
		status, hasStatus, e5 := intParam(v, "status")
		for _, e := range []*apiError{e1, e2, e3, e4, e5} {
			if e != nil {
				return e
			}
		}
		metas := [3]string{v.Get("meta1"), v.Get("meta2"), v.Get("meta3")}
		if assets != nil || locs != nil || types != nil || users != nil || hasStatus || metas != [3]string{} {
			f.match = func(t *Task) bool {
				got := [3]*string{t.Meta1, t.Meta2, t.Meta3}
				for k, want := range metas {
					if want != "" && (got[k] == nil || *got[k] != want) {
						return false
					}
				}
				return (assets == nil || in(assets, t.AssetID)) && (locs == nil || in(locs, t.LocationID)) &&
					(types == nil || in(types, t.Type)) && (users == nil || in(users, t.UserID)) &&
					(!hasStatus || int64(t.Status) == status)
			}
		}
		return serveList(s, q, s.tasks, f, pg)
	case "assets":
		f := &filter[Asset]{}
		if e := bounds(v, f, "start", "end"); e != nil {
			return e
		}
		var e *apiError
		if f.ids, e = idsParam(v, "assets"); e != nil {
			return e
		}
		locs, e1 := idsParam(v, "locations")
		parent, hasParent, e2 := intParam(v, "parentAssetID")
		if e1 != nil || e2 != nil {
			return errorf(http.StatusBadRequest, "invalid filter")
		}
		if locs != nil || hasParent {
			f.match = func(a *Asset) bool {
				return (locs == nil || in(locs, a.LocationID)) && (!hasParent || int64(a.ParentAssetID) == parent)
			}
		}
		return serveList(s, q, s.assets, f, pg)
	case "locations":
		f := &filter[Location]{}
		var e *apiError
		if f.ids, e = idsParam(v, "locations"); e != nil {
			return e
		}
		return serveList(s, q, s.locations, f, pg)
	case "parts":
		f := &filter[Part]{}
		if e := bounds(v, f, "start", "end"); e != nil {
			return e
		}
		var e *apiError
		if f.ids, e = idsParam(v, "parts"); e != nil {
			return e
		}
		locs, e := idsParam(v, "locations")
		if e != nil {
			return e
		}
		numbers := v.Get("numbers")
		if locs != nil || numbers != "" {
			nums := strings.Split(numbers, ",")
			f.match = func(p *Part) bool {
				return (locs == nil || in(locs, p.LocationID)) && (numbers == "" || contains(nums, p.Number))
			}
		}
		return serveList(s, q, s.parts, f, pg)
	case "po":
		f := &filter[PurchaseOrder]{}
		if e := bounds(v, f, "lastEditedStart", "lastEditedEnd"); e != nil {
			return e
		}
		var e *apiError
		if f.ids, e = idsParam(v, "pos"); e != nil {
			return e
		}
		vendors, e1 := idsParam(v, "vendors")
		locs, e2 := idsParam(v, "locations")
		states, e3 := idsParam(v, "status")
		if e1 != nil || e2 != nil || e3 != nil {
			return errorf(http.StatusBadRequest, "invalid filter")
		}
		if vendors != nil || locs != nil || states != nil {
			f.match = func(p *PurchaseOrder) bool {
				return (vendors == nil || in(vendors, p.VendorID)) && (locs == nil || in(locs, p.LocationID)) && (states == nil || in(states, p.Status))
			}
		}
		return serveList(s, q, s.pos, f, pg)
	case "vendors":
		f := &filter[Vendor]{}
		if e := bounds(v, f, "start", "end"); e != nil {
			return e
		}
		var e *apiError
		if f.ids, e = idsParam(v, "vendors"); e != nil {
			return e
		}
		locs, e := idsParam(v, "locations")
		if e != nil {
			return e
		}
		if locs != nil {
			f.match = func(x *Vendor) bool { return in(locs, x.LocationID) }
		}
		return serveList(s, q, s.vendors, f, pg)
	case "users":
		f := &filter[User]{}
		var e *apiError
		if f.ids, e = idsParam(v, "users"); e != nil {
			return e
		}
		return serveList(s, q, s.users, f, pg)
	case "statuses":
		ids, e := idsParam(v, "statuses")
		if e != nil {
			return e
		}
		out := []Status{}
		for _, st := range statuses {
			if st.StatusID > pg.cursor && (ids == nil || in(ids, st.StatusID)) && len(out) < pg.limit {
				out = append(out, st)
			}
		}
		writeJSON(q.w, http.StatusOK, out)
		return nil
	case "po/items":
		return s.listPOItems(q, v, pg)
	}
	return errorf(http.StatusNotFound, "Route not found")
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// listPOItems serves GET /v2/po/items: the lines of the selected purchase
// orders, in poItemID order (cursor and limit; no page).
func (s *Server) listPOItems(q *request, v url.Values, pg paging) *apiError {
	pos, e1 := idsParam(v, "pos")
	items, e2 := idsParam(v, "items")
	f := &filter[PurchaseOrder]{ids: pos}
	e3 := bounds(v, f, "lastEditedStart", "lastEditedEnd")
	if e1 != nil || e2 != nil || e3 != nil {
		return errorf(http.StatusBadRequest, "invalid filter")
	}
	out := []POItem{}
	s.mu.Lock()
	s.pos.scan(f, func(_ int, rec func() *PurchaseOrder) bool {
		po := rec()
		for _, it := range s.items(po) {
			if it.PoItemID > pg.cursor && (items == nil || in(items, it.PoItemID)) {
				out = append(out, it)
			}
		}
		return len(out) < pg.limit
	})
	s.mu.Unlock()
	if len(out) > pg.limit {
		out = out[:pg.limit]
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}
