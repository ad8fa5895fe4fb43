package netsuite

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

const (
	defaultLimit = 1000
	maxLimit     = 1000
)

// baseURL is the record API root as the client addressed it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + recordPrefix
}

func link(rel, href string) map[string]any { return map[string]any{"rel": rel, "href": href} }

func queryInt(q url.Values, name string, def, lo, hi int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &apiError{status: http.StatusBadRequest, code: "INVALID_PARAMETER", param: name,
			detail: "Invalid query parameter value '" + v + "' for parameter '" + name + "'. Provide a valid value."}
	}
	return n, nil
}

func queryBool(q url.Values, name string) bool {
	v, _ := strconv.ParseBool(q.Get(name))
	return v
}

// list answers GET /record/v1/{type}: the ids and links of a page of
// records in internal id order, filtered by q.
func (s *Server) list(w http.ResponseWriter, r *http.Request, t *table) *apiError {
	q := r.URL.Query()
	limit, e := queryInt(q, "limit", defaultLimit, 1, maxLimit)
	if e != nil {
		return e
	}
	offset, e := queryInt(q, "offset", 0, 0, 1<<31-1)
	if e != nil {
		return e
	}
	bounds, e := parseQuery(q.Get("q"), t)
	if e != nil {
		return e
	}
	s.mu.Lock()
	ids := t.match(bounds)
	s.mu.Unlock()
	total := len(ids)
	page := ids[min(offset, total):min(offset+limit, total)]
	base := baseURL(r)
	items := make([]any, len(page))
	for i, n := range page {
		items[i] = map[string]any{"links": []any{link("self", base+t.typ+"/"+id(n))}, "id": id(n)}
	}
	pageURL := func(off int) string {
		v := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(off)}}
		if q.Get("q") != "" {
			v.Set("q", q.Get("q"))
		}
		return base + t.typ + "?" + v.Encode()
	}
	hasMore := offset+len(page) < total
	var links []any
	if offset > 0 {
		links = append(links, link("first", pageURL(0)), link("prev", pageURL(max(offset-limit, 0))))
	}
	if hasMore {
		links = append(links, link("next", pageURL(offset+limit)), link("last", pageURL((total-1)/limit*limit)))
	}
	links = append(links, link("self", pageURL(offset)))
	writeJSON(w, http.StatusOK, mediaCollection, map[string]any{
		"links": links, "count": len(page), "hasMore": hasMore, "items": items, "offset": offset, "totalResults": total,
	})
	return nil
}

// lookup finds the record a path segment names: an internal id or
// eid:<external id>.
func (s *Server) lookup(r *http.Request, t *table, key string) (int, rec, *apiError) {
	missing := &apiError{status: http.StatusNotFound, code: "NONEXISTENT_ID", url: r.URL.Path,
		detail: "The record instance does not exist. Provide a valid record instance ID."}
	if eid, ok := strings.CutPrefix(key, "eid:"); ok {
		n, found := t.byExternalID(eid)
		if !found {
			return 0, nil, missing
		}
		rr, _ := t.get(n)
		return n, rr, nil
	}
	n, err := strconv.Atoi(key)
	if err != nil || n <= 0 {
		return 0, nil, missing
	}
	rr, ok := t.get(n)
	if !ok {
		return 0, nil, missing
	}
	return n, rr, nil
}

// get answers GET /record/v1/{type}/{id}.
func (s *Server) get(w http.ResponseWriter, r *http.Request, t *table, key string) *apiError {
	s.mu.Lock()
	_, rr, e := s.lookup(r, t, key)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	rd := renderer{base: baseURL(r), expand: queryBool(r.URL.Query(), "expandSubResources")}
	writeRaw(w, mediaSingular, rd.record(make([]byte, 0, 4096), t.typ, rr))
	return nil
}

// getField answers GET /record/v1/{type}/{id}/{sublist or subrecord}, the
// URL a record's unexpanded sublists and subrecords link to.
func (s *Server) getField(w http.ResponseWriter, r *http.Request, t *table, key, field string) *apiError {
	s.mu.Lock()
	_, rr, e := s.lookup(r, t, key)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	v := rr[field]
	sub, isRec := v.(rec)
	_, isList := v.([]rec)
	if _, plain := sub["refName"]; !isList && (!isRec || plain) {
		return &apiError{status: http.StatusNotFound, code: "NONEXISTENT_FIELD", url: r.URL.Path,
			detail: "Record '" + t.typ + "' has no sublist or subrecord '" + field + "'."}
	}
	rd := renderer{base: baseURL(r), expand: true}
	self := rd.base + t.typ + "/" + rr["id"].(string)
	media := mediaSingular
	if isList {
		media = mediaCollection
	}
	writeRaw(w, media, rd.value(nil, self+"/"+field, v))
	return nil
}

// The q filter: conditions on lastModifiedDate joined by AND, such as
//
//	lastModifiedDate ON_OR_AFTER "3/14/2026 9:05 am" AND lastModifiedDate BEFORE "3/15/2026"
//
// Values are in N/query's format (M/D/YYYY, with h:mm am|pm for a time) in
// the account's time zone (UTC here). A date or a minute is one unit:
// AFTER a minute starts at the next minute, ON covers the unit.
var condition = regexp.MustCompile(`^\s*(\w+)\s+(AFTER|ON_OR_AFTER|BEFORE|ON_OR_BEFORE|ON)\s+"([^"]*)"\s*$`)

func parseQuery(q string, t *table) ([]span, *apiError) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	bad := func(detail string) *apiError {
		return &apiError{status: http.StatusBadRequest, code: "INVALID_PARAMETER", param: "q", detail: detail}
	}
	var out []span
	for _, part := range regexp.MustCompile(`\s+AND\s+`).Split(q, -1) {
		m := condition.FindStringSubmatch(part)
		if m == nil {
			return nil, bad("Invalid search query: '" + strings.TrimSpace(part) + "'. Provide a valid query in the form <field> <operator> <value>.")
		}
		if m[1] != "lastModifiedDate" || !t.filterable {
			return nil, bad("Invalid search query. Field '" + m[1] + "' cannot be used in a query on " + t.typ + ".")
		}
		from, unit, ok := parseNSDate(m[3])
		if !ok {
			return nil, bad("Invalid search query. The value '" + m[3] + "' is not a valid date for field '" + m[1] + "'. Use the date format M/D/YYYY or M/D/YYYY h:mm am.")
		}
		next := from.Add(unit)
		if unit == 24*time.Hour {
			next = from.AddDate(0, 0, 1)
		}
		switch m[2] {
		case "AFTER":
			out = append(out, span{from: next.Unix()})
		case "ON_OR_AFTER":
			out = append(out, span{from: from.Unix()})
		case "BEFORE":
			out = append(out, span{until: from.Unix()})
		case "ON_OR_BEFORE":
			out = append(out, span{until: next.Unix()})
		case "ON":
			out = append(out, span{from: from.Unix(), until: next.Unix()})
		}
	}
	return out, nil
}

// parseNSDate reads M/D/YYYY or M/D/YYYY h:mm am|pm (UTC), and the unit it
// names: a day or a minute.
func parseNSDate(v string) (time.Time, time.Duration, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse("1/2/2006", v); err == nil {
		return t, 24 * time.Hour, true
	}
	if t, err := time.Parse("1/2/2006 3:04 pm", strings.ToLower(v)); err == nil {
		return t, time.Minute, true
	}
	return time.Time{}, 0, false
}
