package maintainx

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// resource is one collection of the API.
type resource struct {
	path string // path segment: workorders
	one  string // key of a GET answer: workOrder
	many string // key of a list answer: workOrders
	t    *table
	// deltas: the list takes updatedAt[gte] and updatedAt[lte].
	deltas bool
	// patchable are the string fields a PATCH may change (besides the work
	// order fields, which have their own checks).
	patchable []string
}

// internal keys the simulator keeps for ordering but MaintainX does not show.
var hidden = map[string][]string{
	"vendors": {"updatedAt"},
	"users":   {"updatedAt"},
}

// full is the record as a GET of it answers.
func (s *Server) full(r *resource, o obj) obj {
	out := maps.Clone(o)
	for _, k := range hidden[r.path] {
		delete(out, k)
	}
	return out
}

// listItem is the record as a list answers: the list schemas of the spec
// are narrower than the GET ones, and some fields come only with expand.
func (s *Server) listItem(r *resource, o obj, expand map[string]bool) obj {
	switch r.path {
	case "workorders":
		out := maps.Clone(o)
		for _, k := range []string{"assetId", "parentId", "assigneeIds", "teamIds", "estimatedTime", "extraFields", "isParent"} {
			delete(out, k)
		}
		if expand["asset"] {
			if id, ok := o["assetId"].(int64); ok {
				if a := s.res["assets"].t.get(id); a != nil {
					out["asset"] = obj{"id": a["id"], "name": a["name"], "description": a["description"], "parentId": a["parentId"],
						"criticalityId": a["criticalityId"], "locationId": a["locationId"], "serialNumber": a["serialNumber"],
						"createdAt": a["createdAt"], "updatedAt": a["updatedAt"], "creatorId": a["creatorId"]}
				}
			}
		}
		if expand["assignees"] {
			var as []any
			for _, id := range asSlice(o["assigneeIds"]) {
				as = append(as, obj{"type": "USER", "id": id})
			}
			for _, id := range asSlice(o["teamIds"]) {
				as = append(as, obj{"type": "TEAM", "id": id})
			}
			out["assignees"] = orEmpty(as)
		}
		if expand["extra_fields"] {
			out["extraFields"] = o["extraFields"]
		}
		if expand["estimated_time"] {
			out["estimatedTime"] = o["estimatedTime"]
		}
		return out
	case "purchaseorders":
		return obj{"id": o["id"], "status": o["status"], "updatedAt": o["updatedAt"], "createdAt": o["createdAt"]}
	case "vendors":
		return obj{"id": o["id"], "name": o["name"], "extraFields": o["extraFields"]}
	case "users":
		out := s.full(r, o)
		delete(out, "removedFromOrganization")
		return out
	}
	return s.full(r, o)
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func orEmpty(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

// list answers GET /v1/{resource}.
func (s *Server) list(w http.ResponseWriter, r *http.Request, res *resource) {
	q := r.URL.Query()
	lq := query{limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			writeError(w, errorf(http.StatusBadRequest, "limit must be an integer from 1 to 200"))
			return
		}
		lq.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		p, err := decodeCursor(v)
		if err != nil {
			writeError(w, errorf(http.StatusBadRequest, "Invalid cursor"))
			return
		}
		lq.after = &p
	}
	if v := q.Get("sort"); v != "" && v != "updatedAt" {
		writeError(w, errorf(http.StatusBadRequest, "sort "+v+" is not supported by the simulator; use updatedAt"))
		return
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
		ok   bool
	}{{"updatedAt[gte]", &lq.gte, res.deltas}, {"updatedAt[lte]", &lq.lte, res.deltas}, {"createdAt[gte]", &lq.createdGte, res.deltas}} {
		v := q.Get(b.name)
		if v == "" || !b.ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, errorf(http.StatusBadRequest, b.name+" must be an ISO 8601 date-time"))
			return
		}
		*b.dst = t.UTC()
	}
	if title := strings.ToLower(q.Get("title")); title != "" && res.path == "workorders" {
		lq.match = func(o obj) bool { return strings.Contains(strings.ToLower(str(o["title"])), title) }
	}
	if res.path == "purchaseorders" {
		lq.match = customFieldFilter(q)
	}
	expand := map[string]bool{}
	for _, v := range q["expand"] {
		for _, e := range strings.Split(v, ",") {
			expand[strings.TrimSpace(e)] = true
		}
	}
	recs, next := res.t.scan(lq)
	items := make([]any, len(recs))
	for i, o := range recs {
		items[i] = s.listItem(res, o, expand)
	}
	out := map[string]any{res.many: items, "nextCursor": nil}
	if next != nil {
		c := encodeCursor(*next)
		out["nextCursor"] = c
		u := *r.URL
		qq := u.Query()
		qq.Set("cursor", c)
		u.RawQuery = qq.Encode()
		out["nextPageUrl"] = u.RequestURI()
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeBody reads a JSON object.
func decodeBody(r *http.Request) (map[string]any, *apiError) {
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, errorf(http.StatusBadRequest, "The request body must be a JSON object")
	}
	return body, nil
}

// create answers POST /v1/workorders and /v1/purchaseorders; the other
// resources are read-only in the simulator.
func (s *Server) create(w http.ResponseWriter, r *http.Request, res *resource) {
	if res.path == "purchaseorders" {
		s.createPurchaseOrder(w, r, res)
		return
	}
	if res.path != "workorders" {
		writeError(w, errorf(http.StatusMethodNotAllowed, "The simulator does not create "+res.path))
		return
	}
	body, e := decodeBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	if t, _ := body["title"].(string); strings.TrimSpace(t) == "" {
		writeError(w, invalid("title", "title is required", body["title"]))
		return
	}
	now := s.now()
	id := res.t.newID()
	o := obj{
		"id": id, "sequentialId": id - baseWorkOrders + 1, "title": "", "description": nil, "status": "OPEN",
		"priority": "NONE", "type": nil, "assetId": nil, "locationId": nil, "parentId": nil, "assigneeIds": []any{},
		"teamIds": []any{}, "vendorIds": []any{}, "categories": []any{}, "startDate": nil, "dueDate": nil,
		"dueDateIsFullDay": false, "completedAt": nil, "completerId": nil, "estimatedTime": nil,
		"createdAt": ts(now), "creatorId": int64(baseUsers), "requesterId": nil, "updatedAt": ts(now),
		"organizationId": s.cfg.OrganizationID, "extraFields": obj{}, "partStatus": "NO_PARTS",
		"partsAvailability": "PARTS_AVAILABLE", "deletedAt": nil, "isParent": false,
	}
	if e := s.applyWorkOrder(o, body, true); e != nil {
		res.t.nextID--
		writeError(w, e)
		return
	}
	res.t.put(id, o)
	writeJSON(w, http.StatusOK, map[string]any{"id": id})
}

// applyWorkOrder checks a work order body and applies it to o.
func (s *Server) applyWorkOrder(o obj, body map[string]any, creating bool) *apiError {
	ref := func(field, what string, t *table, v any) (any, *apiError) {
		if v == nil {
			return nil, nil
		}
		id, ok := intOf(v)
		if !ok || t.get(id) == nil {
			return nil, invalid(field, fmt.Sprintf("%s %v not found", what, v), v)
		}
		return id, nil
	}
	for _, k := range slices.Sorted(maps.Keys(body)) {
		v := body[k]
		var e *apiError
		switch k {
		case "title":
			t, ok := v.(string)
			if !ok || strings.TrimSpace(t) == "" {
				return invalid("title", "title must be a non-empty string", v)
			}
			o[k] = t
		case "description":
			if _, ok := v.(string); !ok && v != nil {
				return invalid(k, "description must be a string", v)
			}
			o[k] = v
		case "priority":
			if !slices.Contains([]string{"NONE", "LOW", "MEDIUM", "HIGH"}, str(v)) {
				return invalid(k, "priority must be one of NONE, LOW, MEDIUM, HIGH", v)
			}
			o[k] = v
		case "type":
			if !slices.Contains([]string{"OTHER", "REACTIVE", "PREVENTIVE"}, str(v)) {
				return invalid(k, "type must be one of OTHER, REACTIVE, PREVENTIVE", v)
			}
			o[k] = v
		case "assetId":
			o[k], e = ref(k, "Asset", s.res["assets"].t, v)
		case "locationId":
			o[k], e = ref(k, "Location", s.res["locations"].t, v)
		case "parentId":
			if !creating {
				return invalid(k, "parentId cannot be changed", v)
			}
			o[k], e = ref(k, "Work order", s.res["workorders"].t, v)
		case "startDate", "dueDate":
			o[k], e = dateOf(k, v)
		case "estimatedTime":
			if v == nil {
				o[k] = nil
				continue
			}
			n, ok := intOf(v)
			if !ok || n < 0 {
				return invalid(k, "estimatedTime must be a whole number of seconds", v)
			}
			o[k] = n
		case "assignees":
			list, ok := v.([]any)
			if !ok {
				return invalid(k, "assignees must be an array", v)
			}
			users, teams := []any{}, []any{}
			for i, a := range list {
				m, _ := a.(map[string]any)
				id, ok := intOf(m["id"])
				switch {
				case m == nil || !ok:
					return invalid(fmt.Sprintf("assignees[%d]", i), "an assignee is {type, id}", a)
				case m["type"] == "USER":
					if s.res["users"].t.get(id) == nil {
						return invalid(fmt.Sprintf("assignees[%d].id", i), fmt.Sprintf("User %d not found", id), m["id"])
					}
					users = append(users, id)
				case m["type"] == "TEAM":
					teams = append(teams, id)
				default:
					return invalid(fmt.Sprintf("assignees[%d].type", i), "type must be USER or TEAM", m["type"])
				}
			}
			o["assigneeIds"], o["teamIds"] = users, teams
		case "extraFields":
			o[k], e = extraFields(k, v, o["extraFields"].(obj))
		case "categories", "vendorIds":
			l, ok := v.([]any)
			if !ok {
				return invalid(k, k+" must be an array", v)
			}
			o[k] = l
		default:
			return invalid(k, "property "+k+" is not supported", v)
		}
		if e != nil {
			return e
		}
	}
	return nil
}

// dateOf reads an ISO 8601 date-time property (or null).
func dateOf(k string, v any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, str(v))
	if err != nil {
		return nil, invalid(k, k+" must be an ISO 8601 date-time", v)
	}
	return ts(t), nil
}

// extraFields returns the custom fields of have with those of property k
// (an object of strings) written over them.
func extraFields(k string, v any, have obj) (obj, *apiError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(k, k+" must be an object of strings", v)
	}
	ef := maps.Clone(have)
	for name, val := range m {
		sv, ok := val.(string)
		if !ok {
			return nil, invalid(k+"."+name, k+" values must be strings", val)
		}
		ef[name] = sv
	}
	return ef, nil
}

func intOf(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	}
	return 0, false
}

// update answers PATCH /v1/{resource}/{id}.
func (s *Server) update(w http.ResponseWriter, r *http.Request, res *resource, id int64, o obj) {
	body, e := decodeBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	n := maps.Clone(o)
	if res.path == "workorders" {
		e = s.applyWorkOrder(n, body, false)
	} else {
		for k, v := range body {
			if !slices.Contains(res.patchable, k) {
				e = invalid(k, "property "+k+" is not supported", v)
				break
			}
			if _, ok := v.(string); !ok && v != nil {
				e = invalid(k, k+" must be a string", v)
				break
			}
			n[k] = v
		}
	}
	if e != nil {
		writeError(w, e)
		return
	}
	n["updatedAt"] = ts(s.now())
	res.t.put(id, n)
	writeJSON(w, http.StatusOK, map[string]any{res.one: s.full(res, n)})
}

// setStatus answers PATCH /v1/workorders/{id}/status and
// /v1/purchaseorders/{id}/status.
func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, res *resource, id int64, o obj) {
	allowed := map[string][]string{
		"workorders":     {"OPEN", "IN_PROGRESS", "ON_HOLD", "DONE", "CANCELED"},
		"purchaseorders": {"APPROVED", "CANCELED", "COMPLETED", "DECLINED", "PARTIALLY_FULFILLED", "PENDING"},
	}[res.path]
	if allowed == nil {
		writeError(w, errorf(http.StatusNotFound, "Not found"))
		return
	}
	body, e := decodeBody(r)
	if e != nil {
		writeError(w, e)
		return
	}
	st := str(body["status"])
	if !slices.Contains(allowed, st) {
		writeError(w, invalid("status", "status must be one of "+strings.Join(allowed, ", "), body["status"]))
		return
	}
	now := ts(s.now())
	n := maps.Clone(o)
	n["status"], n["updatedAt"] = st, now
	if res.path == "workorders" {
		if st == "DONE" {
			n["completedAt"], n["completerId"] = now, int64(baseUsers)
		} else {
			n["completedAt"], n["completerId"] = nil, nil
		}
	} else if note, ok := body["reviewNote"].(string); ok {
		n["reviewNote"] = note
	}
	res.t.put(id, n)
	writeJSON(w, http.StatusOK, map[string]any{res.one: s.full(res, n)})
}
