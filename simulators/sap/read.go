package sap

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// route dispatches an OData request on its service.
func (s *Server) route(q *request) *odataError {
	res := q.resource
	switch {
	case res == "" && q.method == http.MethodGet:
		return s.serviceDocument(q)
	case res == "$metadata" && q.method == http.MethodGet:
		q.w.Header().Set("Content-Type", "application/xml")
		_, _ = q.w.Write([]byte(q.svc.metadata()))
		return nil
	}
	name, rest, _ := strings.Cut(res, "/")
	setName, keyText, hasKey := strings.Cut(name, "(")
	if f := q.svc.function(setName); f != nil && !hasKey && rest == "" {
		if q.method != f.Method {
			return errorf(http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/004", "Function import "+f.Name+" must be called with "+f.Method)
		}
		return s.callFunction(q, f)
	}
	set := q.svc.set(setName)
	if set == nil {
		return errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/021", fmt.Sprintf("Resource not found for segment '%s'", setName))
	}
	if !hasKey {
		if rest == "$count" && q.method == http.MethodGet {
			return s.count(q, set)
		}
		if rest != "" {
			return errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/021", fmt.Sprintf("Resource not found for segment '%s'", rest))
		}
		switch q.method {
		case http.MethodGet:
			return s.list(q, set, nil)
		case http.MethodPost:
			return s.create(q, set)
		}
		return errorf(http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/004", "Method "+q.method+" is not allowed on an entity set")
	}
	key, e := parseKey(set, strings.TrimSuffix(keyText, ")"))
	if e != nil {
		return e
	}
	if rest != "" {
		nav := set.nav(rest)
		if nav == nil || q.method != http.MethodGet {
			return errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/021", fmt.Sprintf("Resource not found for segment '%s'", rest))
		}
		parent, e := s.lookup(set, key)
		if e != nil {
			return e
		}
		return s.list(q, nav.Target, s.navRecords(set, nav, parent))
	}
	switch q.method {
	case http.MethodGet:
		r, e := s.lookup(set, key)
		if e != nil {
			return e
		}
		v, e := parseView(set, q.r.URL.Query())
		if e != nil {
			return e
		}
		body, etag := s.encode(set, r, baseURL(q.r), v)
		q.w.Header().Set("ETag", etag)
		writeJSONBody(q.w, http.StatusOK, []byte(`{"d":`), body, []byte(`}`))
		return nil
	case http.MethodPatch, "MERGE", http.MethodPut:
		return s.update(q, set, key)
	case http.MethodDelete:
		return s.remove(q, set, key)
	}
	return errorf(http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/004", "Method "+q.method+" is not allowed on an entity")
}

func writeJSONBody(w http.ResponseWriter, status int, parts ...[]byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("DataServiceVersion", "2.0")
	w.WriteHeader(status)
	for _, p := range parts {
		_, _ = w.Write(p)
	}
}

func (s *Server) serviceDocument(q *request) *odataError {
	var b bytes.Buffer
	b.WriteString(`{"d":{"EntitySets":[`)
	for i, e := range q.svc.Sets {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, e.Name)
	}
	b.WriteString(`]}}`)
	writeJSONBody(q.w, http.StatusOK, b.Bytes())
	return nil
}

// baseURL is the scheme and host the request came to, for __metadata uris.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// parseKey reads a key predicate: '4500000001' for a single key, or
// PurchaseOrder='4500000001',PurchaseOrderItem='10'; it returns the key
// string of the table.
func parseKey(set *entitySet, text string) (string, *odataError) {
	bad := errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/022", fmt.Sprintf("Invalid key predicate '%s' for %s", text, set.Type))
	values := map[string]string{}
	if len(set.Keys) == 1 && !strings.Contains(text, "=") {
		values[set.Keys[0]] = text
	} else {
		for _, part := range splitOutsideQuotes(text, ',') {
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return "", bad
			}
			values[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	r := rec{}
	for _, k := range set.Keys {
		lit, ok := values[k]
		if !ok {
			return "", bad
		}
		v, err := parseLiteral(set.prop(k), lit)
		if err != nil {
			return "", bad
		}
		r[k] = v
	}
	if len(values) != len(set.Keys) {
		return "", bad
	}
	return keyOf(set, r), nil
}

// splitOutsideQuotes splits s at sep where sep is not inside '...'.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// lookup returns a live record by key string.
func (s *Server) lookup(set *entitySet, key string) (rec, *odataError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r rec
	found := false
	switch {
	case set.parent != nil:
		parentKey := key[:strings.LastIndex(key, "\x00")]
		if p, ok := s.tables[set.parent].get(parentKey); ok {
			for _, c := range p.children(set.navName) {
				if keyOf(set, c) == key {
					r, found = c, true
				}
			}
		}
	case set == setMaterialStock:
		if p, ok := s.tables[setProduct].get(key); ok {
			r, found = materialStock(p), true
		}
	default:
		r, found = s.tables[set].get(key)
	}
	if !found {
		return nil, errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/020", fmt.Sprintf("Resource not found for segment '%s'", set.Type))
	}
	return r, nil
}

func materialStock(product rec) rec {
	return rec{"Material": product.str("Product"), "MaterialBaseUnit": product.str("BaseUnit")}
}

// each calls fn for the live records of a set within bounds, in key order;
// the caller holds s.mu.
func (s *Server) each(set *entitySet, b bounds, fn func(rec) bool) {
	switch {
	case set.parent != nil:
		s.tables[set.parent].scan(bounds{low: b.low, high: b.high}, func(p rec) bool {
			for _, c := range p.children(set.navName) {
				if !fn(c) {
					return false
				}
			}
			return true
		})
	case set == setMaterialStock:
		s.tables[setProduct].scan(bounds{low: b.low, high: b.high}, func(p rec) bool { return fn(materialStock(p)) })
	default:
		s.tables[set].scan(b, fn)
	}
}

// navRecords returns the records a navigation property leads to.
func (s *Server) navRecords(set *entitySet, nav *navigation, r rec) []rec {
	if nav.Target.parent == set {
		return r.children(nav.Name)
	}
	// A_MaterialStock/to_MatlStkInAcctMod: the stock rows of the material.
	var out []rec
	m := r.str("Material")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[setStock].scan(bounds{low: m, high: m + "\x00\xff"}, func(x rec) bool {
		if x.str("Material") == m {
			out = append(out, x)
		}
		return true
	})
	return out
}

// clause is one comparison of a $filter.
type clause struct {
	prop  *property
	op    string
	value any
}

func (c clause) match(r rec) bool {
	n := compare(r[c.prop.Name], c.value)
	switch c.op {
	case "eq":
		return n == 0
	case "ne":
		return n != 0
	case "gt":
		return n > 0
	case "ge":
		return n >= 0
	case "lt":
		return n < 0
	case "le":
		return n <= 0
	}
	return false
}

// parseFilter reads the $filter subset the simulator serves: comparisons
// (eq, ne, gt, ge, lt, le) of a property with a literal, joined by and.
func parseFilter(set *entitySet, text string) ([]clause, *odataError) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	bad := func(why string) *odataError {
		return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/005", "Invalid filter expression: '"+text+"': "+why)
	}
	toks := splitOutsideQuotes(strings.TrimSpace(text), ' ')
	var words []string
	for _, t := range toks {
		if t != "" {
			words = append(words, t)
		}
	}
	var out []clause
	for i := 0; i < len(words); i += 4 {
		if i+3 > len(words) {
			return nil, bad("expected a property, an operator and a value")
		}
		p := set.prop(strings.Trim(words[i], "()"))
		if p == nil {
			return nil, bad("property '" + words[i] + "' is not a property of " + set.Type)
		}
		op := strings.ToLower(words[i+1])
		switch op {
		case "eq", "ne", "gt", "ge", "lt", "le":
		default:
			return nil, bad("operator '" + words[i+1] + "' is not supported")
		}
		v, err := parseLiteral(p, strings.Trim(words[i+2], "()"))
		if err != nil {
			return nil, bad(err.Error())
		}
		out = append(out, clause{prop: p, op: op, value: v})
		if i+3 < len(words) && !strings.EqualFold(words[i+3], "and") {
			return nil, bad("only 'and' joins comparisons")
		}
		if i+3 == len(words)-1 {
			return nil, bad("a comparison must follow 'and'")
		}
	}
	return out, nil
}

// boundsOf narrows a scan by the clauses on the first key and the change
// time.
func boundsOf(set *entitySet, clauses []clause) bounds {
	var b bounds
	for _, c := range clauses {
		switch {
		case c.prop.Name == set.Keys[0]:
			v, ok := c.value.(string)
			if !ok {
				continue
			}
			switch c.op {
			case "eq":
				b.low, b.high = max(b.low, v), v+"\x00\xff"
			case "gt":
				b.low = max(b.low, v+"\x00")
			case "ge":
				b.low = max(b.low, v)
			case "lt", "le":
				if b.high == "" || v+"\x00\xff" < b.high {
					b.high = v + "\x00\xff"
				}
			}
		case c.prop.Name == set.changeTime && (c.op == "ge" || c.op == "gt"):
			if t, ok := c.value.(time.Time); ok && t.After(b.since) {
				b.since = t
			}
		}
	}
	return b
}

// view is what an answer shows of an entity: the navigation properties
// expanded ($expand) and, when not nil, the properties selected ($select).
type view struct {
	expand, sel map[string]bool
}

func parseView(set *entitySet, q url.Values) (view, *odataError) {
	v := view{expand: map[string]bool{}}
	for _, n := range strings.Split(q.Get("$expand"), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if set.nav(n) == nil {
			return view{}, errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/005", fmt.Sprintf("Property '%s' is not a navigation property of %s", n, set.Type))
		}
		v.expand[n] = true
	}
	for _, n := range strings.Split(q.Get("$select"), ",") {
		if n = strings.TrimSpace(n); n == "" || n == "*" {
			continue
		}
		if set.prop(n) == nil && set.nav(n) == nil {
			return view{}, errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/005", fmt.Sprintf("Property '%s' is not a property of %s", n, set.Type))
		}
		if v.sel == nil {
			v.sel = map[string]bool{}
		}
		v.sel[n] = true
	}
	return v, nil
}

// all shows every property and expands every navigation property.
func all(set *entitySet) view {
	v := view{expand: map[string]bool{}}
	for _, n := range set.Navs {
		v.expand[n.Name] = true
	}
	return v
}

func (v view) shows(name string) bool { return v.sel == nil || v.sel[name] }

func intParam(v url.Values, name string) (int, bool, *odataError) {
	s := v.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false, errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/005", fmt.Sprintf("Invalid value '%s' for system query option %s", s, name))
	}
	return n, true, nil
}

// list answers a collection: the set's records (or fixed, the records of a
// navigation property) filtered, paged and counted.
func (s *Server) list(q *request, set *entitySet, fixed []rec) *odataError {
	v := q.r.URL.Query()
	clauses, e := parseFilter(set, v.Get("$filter"))
	if e != nil {
		return e
	}
	if ob := strings.Fields(strings.ReplaceAll(v.Get("$orderby"), ",", " ")); len(ob) > 0 {
		if ob[0] != set.Keys[0] || (len(ob) > 1 && !strings.EqualFold(ob[1], "asc") && set.prop(ob[1]) == nil) {
			return errorf(http.StatusNotImplemented, "/IWBEP/CM_MGW_RT/005", "The simulator orders listings by their key only ($orderby="+set.Keys[0]+")")
		}
	}
	top, hasTop, e := intParam(v, "$top")
	if e != nil {
		return e
	}
	skip, _, e := intParam(v, "$skip")
	if e != nil {
		return e
	}
	skipToken, _, e := intParam(v, "$skiptoken")
	if e != nil {
		return e
	}
	shown, e := parseView(set, v)
	if e != nil {
		return e
	}
	counting := v.Get("$inlinecount") == "allpages"
	limit := s.cfg.PageSize
	if hasTop {
		limit = min(limit, max(top-skipToken, 0))
	}
	from := skip + skipToken
	var page []rec
	total, more := 0, false
	visit := func(r rec) bool {
		for _, c := range clauses {
			if !c.match(r) {
				return true
			}
		}
		switch {
		case total >= from && len(page) < limit:
			page = append(page, r)
		case total >= from+limit:
			more = true
		}
		total++
		return counting || !more
	}
	if fixed != nil {
		for _, r := range fixed {
			visit(r)
		}
	} else {
		s.mu.Lock()
		s.each(set, boundsOf(set, clauses), visit)
		s.mu.Unlock()
	}
	var b bytes.Buffer
	b.WriteString(`{"d":{`)
	if counting {
		b.WriteString(`"__count":"` + strconv.Itoa(total) + `",`)
	}
	b.WriteString(`"results":[`)
	base := baseURL(q.r)
	for i, r := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(s.encodeEntity(set, r, base, shown))
	}
	b.WriteByte(']')
	if more && (!hasTop || top-skipToken > limit) {
		var parts []string
		for _, p := range strings.Split(q.r.URL.RawQuery, "&") {
			if p != "" && !strings.HasPrefix(p, "$skiptoken=") && !strings.HasPrefix(p, "%24skiptoken=") {
				parts = append(parts, p)
			}
		}
		parts = append(parts, "$skiptoken="+strconv.Itoa(skipToken+len(page)))
		b.WriteString(`,"__next":`)
		writeString(&b, base+q.r.URL.Path+"?"+strings.Join(parts, "&"))
	}
	b.WriteString(`}}`)
	writeJSONBody(q.w, http.StatusOK, b.Bytes())
	return nil
}

func (s *Server) count(q *request, set *entitySet) *odataError {
	clauses, e := parseFilter(set, q.r.URL.Query().Get("$filter"))
	if e != nil {
		return e
	}
	n := 0
	s.mu.Lock()
	s.each(set, boundsOf(set, clauses), func(r rec) bool {
		for _, c := range clauses {
			if !c.match(r) {
				return true
			}
		}
		n++
		return true
	})
	s.mu.Unlock()
	q.w.Header().Set("Content-Type", "text/plain")
	_, _ = q.w.Write([]byte(strconv.Itoa(n)))
	return nil
}

// entityURI is a record's URI: .../SERVICE/Set(key predicate).
func entityURI(set *entitySet, r rec, base string) string {
	var b strings.Builder
	b.WriteString(base + odataPrefix + set.service.Name + "/" + set.Name + "(")
	for i, k := range set.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if len(set.Keys) > 1 {
			b.WriteString(k + "=")
		}
		b.WriteString(url.PathEscape(literal(set.prop(k), r[k])))
	}
	b.WriteByte(')')
	return b.String()
}

// encodeEntity writes one record as SAP's JSON: __metadata (id, uri, type,
// etag), the properties in the type's order, and its navigation
// properties, expanded or deferred.
func (s *Server) encodeEntity(set *entitySet, r rec, base string, v view) []byte {
	body, _ := s.encode(set, r, base, v)
	return body
}

// encode is encodeEntity, also returning the record's ETag: a weak ETag
// over its properties.
func (s *Server) encode(set *entitySet, r rec, base string, v view) ([]byte, string) {
	props := encodeProps(set, r, nil)
	etag := etagOf(props.Bytes())
	if v.sel != nil {
		props = encodeProps(set, r, v.sel)
	}
	uri := entityURI(set, r, base)
	var b bytes.Buffer
	b.Grow(props.Len() + 512)
	b.WriteString(`{"__metadata":{"id":`)
	writeString(&b, uri)
	b.WriteString(`,"uri":`)
	writeString(&b, uri)
	b.WriteString(`,"type":`)
	writeString(&b, set.qualifiedType())
	b.WriteString(`,"etag":`)
	writeString(&b, etag)
	b.WriteByte('}')
	b.Write(props.Bytes())
	for _, n := range set.Navs {
		if !v.shows(n.Name) {
			continue
		}
		b.WriteByte(',')
		writeString(&b, n.Name)
		if !v.expand[n.Name] {
			b.WriteString(`:{"__deferred":{"uri":`)
			writeString(&b, uri+"/"+n.Name)
			b.WriteString(`}}`)
			continue
		}
		b.WriteString(`:{"results":[`)
		for i, c := range s.navRecords(set, &n, r) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(s.encodeEntity(n.Target, c, base, view{}))
		}
		b.WriteString(`]}`)
	}
	b.WriteByte('}')
	return b.Bytes(), etag
}

// etagOf is a weak ETag over an entity's encoded properties.
func etagOf(props []byte) string {
	h := fnv.New64a()
	h.Write(props)
	return fmt.Sprintf(`W/"'%016X'"`, h.Sum64())
}

// etagOfRecord is a record's ETag.
func etagOfRecord(set *entitySet, r rec) string { return etagOf(encodeProps(set, r, nil).Bytes()) }

// encodeProps writes a record's properties (those selected, when sel is
// not nil), each preceded by a comma.
func encodeProps(set *entitySet, r rec, sel map[string]bool) *bytes.Buffer {
	var props bytes.Buffer
	for i := range set.Props {
		p := &set.Props[i]
		if sel != nil && !sel[p.Name] {
			continue
		}
		props.WriteByte(',')
		writeString(&props, p.Name)
		props.WriteByte(':')
		writeValue(&props, p, r[p.Name])
	}
	return &props
}
