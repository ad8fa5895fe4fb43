package maximo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	// defaultPageSize applies when oslc.pageSize is absent, as if auto-paging
	// were set to 1000 on every object structure.
	defaultPageSize = 1000
	// maxPageSize caps oslc.pageSize, as mxe.oslc.maxpagesize does.
	maxPageSize = 10000
)

// pageBuffers recycles the buffers collection pages are written to. A
// channel rather than a sync.Pool: a pool is emptied by every collection, and
// listing allocates enough to collect often.
var pageBuffers = make(chan []byte, 8)

func pageBuffer() []byte {
	select {
	case b := <-pageBuffers:
		return b[:0]
	default:
		return make([]byte, 0, 1<<20)
	}
}

func recycle(b []byte) {
	if cap(b) > 64<<20 {
		return
	}
	select {
	case pageBuffers <- b:
	default:
	}
}

// listQuery is a parsed collection query.
type listQuery struct {
	conds    []cond
	order    order
	pageSize int
	pageNo   int
	cursor   *position
	fields   *fields // nil: members carry only their href
	count    bool
}

func parseListQuery(os *objectStructure, q map[string][]string) (*listQuery, *apiError) {
	lq := &listQuery{pageSize: defaultPageSize, pageNo: 1}
	for _, unsupported := range []string{"oslc.searchTerms", "savedQuery", "stablepaging"} {
		if param(q, unsupported) != "" {
			return nil, badRequest(codeBadQuery, "The query parameter %s is not supported.", unsupported)
		}
	}
	if v := param(q, "oslc.pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest(codeBadQuery, "The value %s of oslc.pageSize is not a valid page size.", v)
		}
		lq.pageSize = min(n, maxPageSize)
	}
	if v := param(q, "pageno"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badRequest(codeBadQuery, "The value %s of pageno is not a valid page number.", v)
		}
		lq.pageNo = n
	}
	if v := param(q, "oslc.where"); v != "" {
		clauses, err := parseWhere(v)
		if err != nil {
			return nil, badRequest(codeBadQuery, "The oslc.where clause %s is not valid: %v.", v, err)
		}
		conds, aerr := bindWhere(os, clauses)
		if aerr != nil {
			return nil, aerr
		}
		lq.conds = conds
	}
	o, err := parseOrder(os, param(q, "oslc.orderBy"))
	if err != nil {
		return nil, err
	}
	lq.order = o
	if v := param(q, "pagecursor"); v != "" {
		pos, ok := decodeCursor(o, v)
		if !ok {
			return nil, badRequest(codeBadQuery, "The page cursor %s is not valid for this query.", v)
		}
		lq.cursor = &pos
	}
	if v := param(q, "oslc.select"); v != "" {
		sel, err := parseSelect(v)
		if err != nil {
			return nil, badRequest(codeBadQuery, "The oslc.select clause %s is not valid: %v.", v, err)
		}
		lq.fields = sel.fields(os.attrs)
	}
	lq.count = param(q, "collectioncount") == "1"
	return lq, nil
}

// parseOrder reads oslc.orderBy: changedate or the main key attribute, each
// "+" (ascending) or "-" (descending), optionally followed by other key
// attributes. An unencoded "+" arrives as a space and is read as ascending.
func parseOrder(os *objectStructure, s string) (order, *apiError) {
	var o order
	if strings.TrimSpace(s) == "" {
		return o, nil
	}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		desc := strings.HasPrefix(part, "-")
		name := strings.ToLower(strings.TrimLeft(part, "+-"))
		switch {
		case i == 0 && name == "changedate":
			o = order{desc: desc}
		case i == 0 && name == os.keys[0]:
			o = order{byKey: true, desc: desc}
		case i > 0 && desc == o.desc && (name == "changedate" || slices.Contains(os.keys, name)):
		default:
			return o, badRequest(codeBadQuery,
				"The oslc.orderBy clause %s is not supported: order by +changedate, -changedate, +%s or -%s, optionally followed by key attributes in the same direction.",
				s, os.keys[0], os.keys[0])
		}
	}
	return o, nil
}

type link struct {
	Href string `json:"href"`
}

type responseInfo struct {
	TotalCount   *int   `json:"totalCount,omitempty"`
	NextPage     *link  `json:"nextPage,omitempty"`
	PreviousPage *link  `json:"previousPage,omitempty"`
	Href         string `json:"href"`
	TotalPages   *int   `json:"totalPages,omitempty"`
	PageNum      int    `json:"pagenum"`
}

// list answers a collection query. Without oslc.select, members carry only
// their href, as in Maximo.
func (s *Server) list(q *request) {
	lq, err := parseListQuery(q.c.os, q.r.URL.Query())
	if err != nil {
		writeError(q.w, err)
		return
	}
	s.mu.RLock()
	pl := q.c.plan(lq.conds, lq.order)
	it := pl.iter(lq.cursor)
	if lq.cursor == nil && lq.pageNo > 1 {
		it.skip((lq.pageNo - 1) * lq.pageSize)
	}
	recs := make([]record, 0, min(lq.pageSize, 256))
	var last position
	for len(recs) < lq.pageSize {
		rec, pos, ok := it.next()
		if !ok {
			break
		}
		recs, last = append(recs, rec), pos
	}
	more := len(recs) == lq.pageSize && it.skip(1) == 1
	total := -1
	if lq.count {
		total = pl.count()
	}
	s.mu.RUnlock()

	self := baseURL(q.r) + q.r.URL.RequestURI()
	info := responseInfo{Href: self, PageNum: lq.pageNo}
	if more {
		info.NextPage = &link{pageLink(q, lq.pageNo+1, encodeCursor(lq.order, last))}
	}
	if lq.pageNo > 1 {
		info.PreviousPage = &link{pageLink(q, lq.pageNo-1, "")}
	}
	if total >= 0 {
		pages := (total + lq.pageSize - 1) / lq.pageSize
		info.TotalCount, info.TotalPages = &total, &pages
	}

	b := append(pageBuffer(), `{"member":[`...)
	defer func() { recycle(b) }()
	for i, rec := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMember(b, q.c.os, q.base, rec, lq.fields)
	}
	b = append(b, `],"href":`...)
	b = appendString(b, q.base)
	b = append(b, `,"responseInfo":`...)
	b = appendJSON(b, info)
	b = append(b, '}')
	writeJSON(q.w, http.StatusOK, b)
}

// pageLink is the request URI with another page number and cursor.
func pageLink(q *request, pageNo int, cursor string) string {
	v := q.r.URL.Query()
	for k := range v {
		if strings.EqualFold(k, "pageno") || strings.EqualFold(k, "pagecursor") {
			delete(v, k)
		}
	}
	v.Set("pageno", strconv.Itoa(pageNo))
	if cursor != "" {
		v.Set("pagecursor", cursor)
	}
	return baseURL(q.r) + q.r.URL.Path + "?" + v.Encode()
}

// get answers a member: all attributes, or those of oslc.select.
func (s *Server) get(q *request) {
	sel := allFields
	if v := param(q.r.URL.Query(), "oslc.select"); v != "" {
		var err error
		if sel, err = parseSelect(v); err != nil {
			writeError(q.w, badRequest(codeBadQuery, "The oslc.select clause %s is not valid: %v.", v, err))
			return
		}
	}
	s.mu.RLock()
	rec, ok := s.resolve(q)
	s.mu.RUnlock()
	if !ok {
		writeError(q.w, notFound(strings.ToUpper(q.c.os.name), q.id))
		return
	}
	s.writeMember(q, http.StatusOK, rec, sel)
}

func (s *Server) writeMember(q *request, status int, rec record, sel *selection) {
	q.w.Header().Set("ETag", `"`+str(rec, "_rowstamp")+`"`)
	writeJSON(q.w, status, appendMember(nil, q.c.os, q.base, rec, sel.fields(q.c.os.attrs)))
}

// resolve finds the member a request names, by rest id ("_" + base64 key)
// or by unique id. The caller holds s.mu.
func (s *Server) resolve(q *request) (record, bool) {
	if uid, err := strconv.ParseInt(q.id, 10, 64); err == nil {
		return q.c.lookupUID(uid)
	}
	vals, ok := decodeID(q.id)
	if !ok || len(vals) != len(q.c.os.keys) {
		return nil, false
	}
	return q.c.lookup(joinKey(vals...))
}

func (s *Server) whoami(w http.ResponseWriter, user string) {
	site := s.plant.siteID(0)
	writeJSON(w, http.StatusOK, appendJSON(nil, map[string]any{
		"userid": user, "personid": user, "loginID": strings.ToLower(user), "displayName": "Integration Administrator",
		"defsite": site, "insertSite": site, "insertOrg": orgID, "insertItemSet": itemSetID,
		"baseCurrency": currency, "langcode": "EN",
	}))
}

// appendJSON appends v as JSON, leaving &, < and > unescaped in URLs.
func appendJSON(b []byte, v any) []byte {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
