package limble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// body is a request's parameters: the query's, then the JSON body's (Limble
// reads either).
type body map[string]any

func readBody(r *http.Request) (body, *apiError) {
	b := body{}
	for k, v := range r.URL.Query() {
		b[k] = v[0]
	}
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<20)); err != nil {
		return nil, errorf(http.StatusBadRequest, "Malformed JSON input")
	}
	if len(bytes.TrimSpace(raw.Bytes())) == 0 {
		return b, nil
	}
	dec := json.NewDecoder(&raw)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, errorf(http.StatusBadRequest, "Malformed JSON input")
	}
	for k, v := range m {
		b[k] = v
	}
	return b, nil
}

func (b body) has(k string) bool { _, ok := b[k]; return ok }

// number reads a numeric parameter (a JSON number or a numeric string).
func (b body) number(k string) (float64, bool, *apiError) {
	v, ok := b[k]
	if !ok || v == nil {
		return 0, false, nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false, errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s must be a number", k))
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false, errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s must be a number", k))
	}
	return f, true, nil
}

func (b body) integer(k string) (int64, bool, *apiError) {
	f, ok, e := b.number(k)
	if e != nil || !ok {
		return 0, ok, e
	}
	if f != float64(int64(f)) {
		return 0, false, errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s must be an integer", k))
	}
	return int64(f), true, nil
}

func (b body) text(k string) (string, bool, *apiError) {
	v, ok := b[k]
	if !ok {
		return "", false, nil
	}
	switch x := v.(type) {
	case string:
		return x, true, nil
	case json.Number:
		return x.String(), true, nil
	case nil:
		return "", true, nil
	}
	return "", false, errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s must be a string", k))
}

// fields applies a table of parameter setters, stopping at the first error.
type setter func(b body) *apiError

func apply(b body, setters ...setter) *apiError {
	for _, s := range setters {
		if e := s(b); e != nil {
			return e
		}
	}
	return nil
}

func setInt(k string, dst *int) setter {
	return func(b body) *apiError {
		v, ok, e := b.integer(k)
		if ok {
			*dst = int(v)
		}
		return e
	}
}

func setTime(k string, dst *int64) setter {
	return func(b body) *apiError {
		v, ok, e := b.integer(k)
		if ok {
			if v < 0 {
				return errorf(http.StatusBadRequest, fmt.Sprintf("%s must be 0 or greater", k))
			}
			*dst = v
		}
		return e
	}
}

func setText(k string, dst *string) setter {
	return func(b body) *apiError {
		v, ok, e := b.text(k)
		if ok {
			*dst = v
		}
		return e
	}
}

func setNullable(k string, dst **string) setter {
	return func(b body) *apiError {
		v, ok, e := b.text(k)
		if ok {
			*dst = str(v)
		}
		return e
	}
}

// The checks of references a write makes (the caller holds s.mu).
func (s *Server) checkLocation(id int) *apiError {
	if _, ok := s.locations.get(id); !ok {
		return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid locationID %d: the location does not exist", id))
	}
	return nil
}

func (s *Server) checkAsset(id int) *apiError {
	if id == 0 {
		return nil
	}
	if _, ok := s.assets.get(id); !ok {
		return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid assetID %d: the asset does not exist", id))
	}
	return nil
}

// assign applies assignment and assignmentType to a task.
func (s *Server) assign(b body, t *Task) *apiError {
	who, hasWho, e := b.integer("assignment")
	if e != nil {
		return e
	}
	kind, hasKind, e := b.text("assignmentType")
	if e != nil {
		return e
	}
	if hasWho != hasKind {
		return errorf(http.StatusBadRequest, "assignment and assignmentType must be set together")
	}
	if !hasWho {
		return nil
	}
	switch kind {
	case "user":
		if _, ok := s.users.get(int(who)); !ok {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid assignment %d: the user does not exist", who))
		}
		t.UserID, t.TeamID = int(who), 0
	case "team":
		t.UserID, t.TeamID = 0, int(who)
	default:
		return errorf(http.StatusBadRequest, "assignmentType must be 'user', 'team' or 'multi'")
	}
	return nil
}

// createTask serves POST /v2/tasks.
func (s *Server) createTask(q *request) *apiError {
	b, e := readBody(q.r)
	if e != nil {
		return e
	}
	for _, k := range []string{"name", "locationID", "due", "type"} {
		if !b.has(k) {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s is required", k))
		}
	}
	now := s.now()
	t := Task{PoIDs: []int{}, CustomTags: []string{}, CreatedDate: now, LastEdited: now, StatusID: 1}
	if e := apply(b, setText("name", &t.Name), setInt("locationID", &t.LocationID), setTime("due", &t.Due), setInt("type", &t.Type),
		setText("description", &t.Description), setInt("assetID", &t.AssetID), setInt("priority", &t.Priority),
		setInt("estimatedTime", &t.EstimatedTime), setTime("scheduledStart", &t.ScheduledStart), setTime("scheduledEnd", &t.ScheduledEnd),
		setNullable("requestName", &t.RequestorName), setNullable("requestEmail", &t.RequestorEmail),
		setNullable("requestPhone", &t.RequestorPhone), setNullable("requestDescription", &t.RequestorDescription),
		setNullable("meta1", &t.Meta1), setNullable("meta2", &t.Meta2), setNullable("meta3", &t.Meta3)); e != nil {
		return e
	}
	if strings.TrimSpace(t.Name) == "" {
		return errorf(http.StatusBadRequest, "Data validation error: name must not be empty")
	}
	switch t.Type {
	case TypePM, TypeUnplannedWO, TypePlannedWO, TypeWorkRequest:
	default:
		return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid type %d: only 1, 2, 4 and 6 are supported", t.Type))
	}
	if e := checkTask(&t); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.checkLocation(t.LocationID); e != nil {
		return e
	}
	if e := s.checkAsset(t.AssetID); e != nil {
		return e
	}
	if e := s.assign(b, &t); e != nil {
		return e
	}
	t.PriorityID = t.Priority + 1
	id := s.tasks.create(&t, func(t *Task, id int) { t.TaskID = id; t.Meta = taskMeta(id, t.StatusID) })
	q.w.Header().Set("Location", fmt.Sprintf("/v2/tasks/?tasks=%d", id))
	writeJSON(q.w, http.StatusCreated, map[string]any{"taskID": id})
	return nil
}

func checkTask(t *Task) *apiError {
	switch {
	case t.Priority < 0 || t.Priority > 6:
		return errorf(http.StatusBadRequest, "priority must be between 0 and 6")
	case t.ScheduledStart > 0 && t.ScheduledEnd > 0 && t.ScheduledEnd <= t.ScheduledStart:
		return errorf(http.StatusBadRequest, "scheduledEnd must be greater than scheduledStart")
	case t.EstimatedTime < 0:
		return errorf(http.StatusBadRequest, "estimatedTime must be 0 or greater")
	}
	return nil
}

func notFound(what string, id int) *apiError {
	return errorf(http.StatusNotFound, fmt.Sprintf("%s %d not found", what, id))
}

// patch serves PATCH /v2/{resource}/{id}: an empty 200 on success (a
// {"success": true} for purchase orders, as the description says).
func (s *Server) patch(q *request, resource string, id int) *apiError {
	b, e := readBody(q.r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch resource {
	case "tasks":
		old, ok := s.tasks.get(id)
		if !ok {
			return notFound("Task", id)
		}
		t := *old
		if e := s.patchTask(b, &t); e != nil {
			return e
		}
		t.LastEdited = now
		t.Meta = taskMeta(t.TaskID, t.StatusID)
		s.tasks.put(id, &t)
	case "assets":
		old, ok := s.assets.get(id)
		if !ok {
			return notFound("Asset", id)
		}
		a := *old
		if e := apply(b, setText("name", &a.Name), setInt("parentAssetID", &a.ParentAssetID), setInt("locationID", &a.LocationID),
			setInt("hoursPerWeek", &a.HoursPerWeek)); e != nil {
			return e
		}
		if e := s.checkLocation(a.LocationID); e != nil {
			return e
		}
		a.LastEdited = now
		s.assets.put(id, &a)
	case "parts":
		old, ok := s.parts.get(id)
		if !ok {
			return notFound("Part", id)
		}
		loc, hasLoc, e := b.integer("locationID")
		if e != nil {
			return e
		}
		if !hasLoc {
			return errorf(http.StatusBadRequest, "Data validation error: locationID is required")
		}
		if int(loc) != old.LocationID {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Part %d is not at location %d", id, loc))
		}
		p := *old
		stock, hasStock, e := b.number("generalStock")
		if e != nil {
			return e
		}
		if hasStock {
			p.StockOnHand += stock - p.GeneralStock
			p.GeneralStock = stock
		}
		if e := apply(b, setText("name", &p.Name), setText("number", &p.Number), setText("location", &p.Location),
			setInt("minQtyThreshold", &p.MinQtyThreshold), setInt("maxQtyThreshold", &p.MaxQtyThreshold),
			setInt("staleThreshold", &p.StaleThreshold), setInt("categoryID", &p.CategoryID)); e != nil {
			return e
		}
		if v, ok, e := b.number("generalPrice"); e != nil {
			return e
		} else if ok {
			p.GeneralPrice = v
		}
		p.MinQtyStatus = 0
		if p.MinQtyThreshold >= 0 && p.StockOnHand < float64(p.MinQtyThreshold) {
			p.MinQtyStatus = 1
		}
		p.LastEdited = now
		s.parts.put(id, &p)
	case "vendors":
		old, ok := s.vendors.get(id)
		if !ok {
			return notFound("Vendor", id)
		}
		v := *old
		if e := apply(b, setText("name", &v.Name), setText("email", &v.Email), setText("phone", &v.Phone),
			setText("contact", &v.Contact), setText("address", &v.Address)); e != nil {
			return e
		}
		v.LastEdited = now
		s.vendors.put(id, &v)
	case "po":
		old, ok := s.pos.get(id)
		if !ok {
			return notFound("Purchase order", id)
		}
		p := *old
		if e := apply(b, setInt("vendorID", &p.VendorID), setNullable("customField1", &p.CustomField1),
			setNullable("customField2", &p.CustomField2), setNullable("customField3", &p.CustomField3),
			setNullable("customField4", &p.CustomField4), setText("requestDescription", &p.NotesToVendor)); e != nil {
			return e
		}
		if _, ok := s.vendors.get(p.VendorID); !ok {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid vendorID %d: the vendor does not exist", p.VendorID))
		}
		p.LastEdited = now
		s.pos.put(id, &p)
		writeJSON(q.w, http.StatusOK, map[string]any{"success": true})
		return nil
	default:
		return errorf(http.StatusNotFound, "Route not found")
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// patchTask applies PATCH /v2/tasks/{id} parameters.
func (s *Server) patchTask(b body, t *Task) *apiError {
	if e := apply(b, setText("name", &t.Name), setInt("locationID", &t.LocationID), setTime("due", &t.Due),
		setText("description", &t.Description), setInt("asset", &t.AssetID), setInt("priority", &t.Priority),
		setInt("estimatedTime", &t.EstimatedTime), setTime("scheduledStart", &t.ScheduledStart), setTime("scheduledEnd", &t.ScheduledEnd),
		setNullable("requestName", &t.RequestorName), setNullable("requestEmail", &t.RequestorEmail),
		setNullable("requestPhone", &t.RequestorPhone), setNullable("requestDescription", &t.RequestorDescription),
		setNullable("meta1", &t.Meta1), setNullable("meta2", &t.Meta2), setNullable("meta3", &t.Meta3)); e != nil {
		return e
	}
	if typ, ok, e := b.integer("type"); e != nil {
		return e
	} else if ok {
		movable := map[int]bool{TypePM: true, TypeUnplannedWO: true, TypePlannedWO: true, TypeWorkRequest: true}
		if !movable[t.Type] || !movable[int(typ)] {
			return errorf(http.StatusBadRequest, "Only tasks of type 1, 2, 4 and 6 can change type, to one of those")
		}
		t.Type = int(typ)
	}
	if e := checkTask(t); e != nil {
		return e
	}
	if e := s.checkLocation(t.LocationID); e != nil {
		return e
	}
	if e := s.checkAsset(t.AssetID); e != nil {
		return e
	}
	if e := s.assign(b, t); e != nil {
		return e
	}
	t.PriorityID = t.Priority + 1
	if st, ok, e := b.integer("status"); e != nil {
		return e
	} else if ok {
		switch st {
		case 1:
			if !b.has("assignment") || !b.has("assignmentType") {
				return errorf(http.StatusBadRequest, "status 1 needs assignment and assignmentType")
			}
			if t.Status != 1 {
				t.Status, t.StatusID = 1, 2
				t.DateCompleted = s.now()
				t.CompletedByUser = t.UserID
			}
		case 0:
			if t.Status != 0 {
				t.Status, t.StatusID, t.DateCompleted, t.CompletedByUser = 0, 1, 0, 0
			}
		default:
			return errorf(http.StatusBadRequest, "status must be 0 or 1")
		}
	}
	if st, ok, e := b.integer("statusID"); e != nil {
		return e
	} else if ok {
		if st == 1 || st == 2 {
			return errorf(http.StatusBadRequest, "Cannot update custom status to 1 (Open) or 2 (Complete); use status")
		}
		if !validStatus(int(st)) {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid statusID %d", st))
		}
		if t.Status == 1 {
			return errorf(http.StatusConflict, "The task is complete; reopen it (status 0) before changing its custom status")
		}
		t.StatusID = int(st)
	}
	return nil
}

func validStatus(id int) bool {
	for _, s := range statuses {
		if s.StatusID == id {
			return true
		}
	}
	return false
}

// deleteTask serves DELETE /v2/tasks/{id}.
func (s *Server) deleteTask(q *request, id int) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tasks.get(id); !ok {
		return notFound("Task", id)
	}
	s.tasks.put(id, nil)
	q.w.WriteHeader(http.StatusOK)
	return nil
}
