package netsuite

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Writes. POST creates (204, Location: the new record's URL); PUT on
// eid:<external id> is an upsert; PATCH merges the given fields (sublist
// lines by their line number, or all of them replaced with ?replace=item);
// DELETE deletes. Bodies are checked as NetSuite does, with its error codes
// and messages.

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Second) }

func readBody(r *http.Request) (map[string]any, *apiError) {
	var m map[string]any
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errorf(http.StatusBadRequest, "INVALID_CONTENT", "The request could not be understood by the server due to malformed syntax.")
	}
	return m, nil
}

func userError(field, detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "USER_ERROR", detail: detail, path: field}
}

func missingValue(field, label string) *apiError {
	return userError(field, "Please enter value(s) for: "+label)
}

func invalidValue(field string, v any) *apiError {
	return userError(field, fmt.Sprintf("Error while accessing a resource. Invalid Field Value %v for the following field: %s", v, field))
}

func replaceList(r *http.Request) []string {
	v := r.URL.Query().Get("replace")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

func (s *Server) writeDone(w http.ResponseWriter, r *http.Request, t *table, n int) {
	w.Header().Set("Location", baseURL(r)+t.typ+"/"+id(n))
	w.WriteHeader(http.StatusNoContent)
}

var notWritable = errorf(http.StatusBadRequest, "INVALID_REQUEST", "The simulator does not create records of this type.")

// nextID is the internal id of a new record of a table.
func (s *Server) nextID(t *table) int {
	if t.typ == "purchaseOrder" || t.typ == "inventoryAdjustment" {
		s.nextTxn++
		return s.nextTxn - 1
	}
	n := t.base + t.n + 1
	if len(t.ids) > 0 {
		n = max(n, t.ids[len(t.ids)-1]+1)
	}
	return n
}

// store finishes a created or changed record and stores it, running a
// transaction's side effects (undoing old's first).
func (s *Server) store(t *table, n int, old, r rec) *apiError {
	now := s.now()
	r["id"] = id(n)
	r["lastModifiedDate"] = now
	if old == nil {
		for _, k := range []string{"createdDate", "dateCreated"} {
			if _, ok := r[k]; ok || t.typ == "purchaseOrder" && k == "createdDate" || t.typ == "vendor" && k == "dateCreated" {
				r[k] = now
			}
		}
		if t.typ == "purchaseOrder" && r["tranId"] == nil {
			r["tranId"] = fmt.Sprintf("PO%05d", n)
		}
	}
	if t.apply != nil {
		if old != nil {
			if e := t.apply(s, old, true); e != nil {
				return e
			}
		}
		if e := t.apply(s, r, false); e != nil {
			if old != nil {
				t.apply(s, old, false)
			}
			return e
		}
	}
	t.put(n, r)
	return nil
}

// create answers POST /record/v1/{type}.
func (s *Server) create(w http.ResponseWriter, r *http.Request, t *table) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.build == nil {
		return notWritable
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	rr, e := t.build(s, nil, body, replaceList(r))
	if e != nil {
		return e
	}
	if eid, _ := rr["externalId"].(string); eid != "" {
		if _, taken := t.byExternalID(eid); taken {
			return userError("externalId", "A record with this external ID already exists: "+eid)
		}
	}
	n := s.nextID(t)
	if e := s.store(t, n, nil, rr); e != nil {
		return e
	}
	s.writeDone(w, r, t, n)
	return nil
}

// upsert answers PUT /record/v1/{type}/eid:{external id}: it changes the
// record with that external id, or creates it.
func (s *Server) upsert(w http.ResponseWriter, r *http.Request, t *table, key string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	eid, ok := strings.CutPrefix(key, "eid:")
	if !ok || eid == "" {
		return &apiError{status: http.StatusBadRequest, code: "INVALID_REQUEST", url: r.URL.Path,
			detail: "The PUT method is supported only with an external ID (eid:<external ID>) in the URL."}
	}
	if t.build == nil {
		return notWritable
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	body["externalId"] = eid
	n, found := t.byExternalID(eid)
	var old rec
	if found {
		old, _ = t.get(n)
	} else {
		n = s.nextID(t)
	}
	var base rec
	if old != nil && t.apply == nil {
		base = clone(old)
	}
	// An upsert replaces the sublists it gives.
	rr, e := t.build(s, base, body, append(replaceList(r), "item", "inventory"))
	if e != nil {
		return e
	}
	if old != nil && t.apply != nil {
		rr["createdDate"] = old["createdDate"]
	}
	if e := s.store(t, n, old, rr); e != nil {
		return e
	}
	s.writeDone(w, r, t, n)
	return nil
}

// patch answers PATCH /record/v1/{type}/{id}.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, t *table, key string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, old, e := s.lookup(r, t, key)
	if e != nil {
		return e
	}
	if t.build == nil || t.apply != nil {
		return notWritable
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	rr, e := t.build(s, clone(old), body, replaceList(r))
	if e != nil {
		return e
	}
	if e := s.store(t, n, old, rr); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// delete answers DELETE /record/v1/{type}/{id}.
func (s *Server) delete(w http.ResponseWriter, r *http.Request, t *table, key string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, old, e := s.lookup(r, t, key)
	if e != nil {
		return e
	}
	if t.build == nil {
		return notWritable
	}
	if t.apply != nil {
		if e := t.apply(s, old, true); e != nil {
			return e
		}
	}
	t.put(n, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// refTo reads a reference field ({"id": "12"}) to a record of one of types.
func (s *Server) refTo(body map[string]any, field string, types ...string) (ref, rec, bool, *apiError) {
	v, ok := body[field]
	if !ok || v == nil {
		return ref{}, nil, false, nil
	}
	m, _ := v.(map[string]any)
	raw := fmt.Sprint(m["id"])
	n, err := strconv.Atoi(raw)
	if m == nil || err != nil {
		return ref{}, nil, false, invalidValue(field, v)
	}
	for _, typ := range types {
		if r, found := s.tables[typ].get(n); found {
			name, _ := r["refName"].(string)
			for _, k := range []string{"fullName", "itemId", "companyName", "entityId", "name", "acctName"} {
				if v, _ := r[k].(string); v != "" && name == "" {
					name = v
				}
			}
			return ref{typ, id(n), name}, r, true, nil
		}
	}
	return ref{}, nil, false, invalidValue(field, raw)
}

// required reads a reference a sublist line must have; path is the line's
// JSON path and label the field's name in NetSuite's message.
func (s *Server) required(l map[string]any, field, path, label string, types ...string) (ref, rec, *apiError) {
	r, target, given, e := s.refTo(l, field, types...)
	switch {
	case e != nil:
		e.path = path + "." + field
		return ref{}, nil, e
	case !given:
		return ref{}, nil, missingValue(path+"."+field, label)
	}
	return r, target, nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func validDate(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// setScalars copies the body's plain fields (strings, numbers, booleans)
// among allowed; nil allows any.
func setScalars(r rec, body map[string]any, allowed []string) *apiError {
	for k, v := range body {
		if allowed != nil && !slices.Contains(allowed, k) {
			continue
		}
		switch v.(type) {
		case string, float64, bool:
			r[k] = v
		case nil:
			delete(r, k)
		}
	}
	return nil
}

// lines reads a sublist body {"items": [...]}.
func lines(body map[string]any, field string) ([]map[string]any, bool, *apiError) {
	v, ok := body[field]
	if !ok {
		return nil, false, nil
	}
	m, _ := v.(map[string]any)
	items, ok := m["items"].([]any)
	if m == nil || !ok {
		return nil, false, invalidValue(field, "(not a sublist)")
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		if out[i], ok = it.(map[string]any); !ok {
			return nil, false, invalidValue(fmt.Sprintf("%s.items[%d]", field, i), it)
		}
	}
	return out, true, nil
}

// buildPurchaseOrder makes a purchase order from a body (old is a copy of
// the record to change, or nil).
func buildPurchaseOrder(s *Server, old rec, body map[string]any, replace []string) (rec, *apiError) {
	po := old
	if po == nil {
		po = rec{"subsidiary": subsidiary(), "approvalStatus": ref{"", "1", approvalStatuses["1"]}, "tranDate": day(s.now().Unix()), "item": []rec{}}
	}
	vendor, v, given, e := s.refTo(body, "entity", "vendor")
	switch {
	case e != nil:
		return nil, e
	case given && v["isInactive"] == true:
		return nil, invalidValue("entity", vendor.ID)
	case given:
		po["entity"] = vendor
	case old == nil:
		return nil, missingValue("entity", "Vendor")
	}
	cur, c, given, e := s.refTo(body, "currency", "currency")
	if e != nil {
		return nil, e
	}
	if !given && old == nil {
		cur = v["currency"].(ref)
		c, _ = s.tables["currency"].get(atoi(cur.ID))
		given = true
	}
	if given {
		cur.Name = c["name"].(string)
		po["currency"], po["exchangeRate"] = cur, c["exchangeRate"]
	}
	for field, typ := range map[string]string{"employee": "employee", "location": "location"} {
		r, _, given, e := s.refTo(body, field, typ)
		if e != nil {
			return nil, e
		}
		if given {
			po[field] = r
		}
	}
	for _, f := range []string{"tranDate", "dueDate"} {
		if v, ok := body[f]; ok && !validDate(v) {
			return nil, invalidValue(f, v)
		}
	}
	setScalars(po, body, []string{"memo", "tranId", "externalId", "tranDate", "dueDate"})
	if v, ok := body["approvalStatus"]; ok {
		m, _ := v.(map[string]any)
		st := fmt.Sprint(m["id"])
		name, known := approvalStatuses[st]
		if !known {
			return nil, invalidValue("approvalStatus", v)
		}
		if old != nil && st != po["approvalStatus"].(ref).ID {
			for _, l := range po["item"].([]rec) {
				if l["quantityReceived"].(float64) > 0 {
					return nil, userError("approvalStatus", "You cannot change the approval status of a purchase order that has been received.")
				}
			}
		}
		po["approvalStatus"] = ref{"", st, name}
	}
	in, given, e := lines(body, "item")
	if e != nil {
		return nil, e
	}
	existing := po["item"].([]rec)
	if old == nil || slices.Contains(replace, "item") {
		existing = nil
	}
	for k, l := range in {
		path := fmt.Sprintf("item.items[%d]", k)
		var line rec
		if n, ok := number(l["line"]); ok && given && existing != nil {
			for _, x := range existing {
				if float64(x["line"].(int)) == n {
					line = x
				}
			}
			if line == nil {
				return nil, invalidValue(path+".line", l["line"])
			}
		} else {
			line = rec{"line": len(existing) + 1, "quantityReceived": 0.0, "quantityBilled": 0.0, "isClosed": false,
				"location": po["location"], "expectedReceiptDate": po["dueDate"]}
			it, item, e := s.required(l, "item", path, "Item", "inventoryItem", "nonInventoryPurchaseItem")
			if e != nil {
				return nil, e
			}
			if item["isInactive"] == true {
				return nil, invalidValue(path+".item", it.ID)
			}
			line["item"], line["description"], line["rate"] = it, item["purchaseDescription"], 0.0
			line["itemType"] = rec{"id": "InvtPart", "refName": "Inventory Item"}
			if it.Type == "nonInventoryPurchaseItem" {
				line["itemType"] = rec{"id": "NonInvtPart", "refName": "Non-inventory Item"}
			} else {
				line["rate"] = item["cost"]
			}
			if _, ok := l["quantity"]; !ok {
				return nil, missingValue(path+".quantity", "Quantity")
			}
			existing = append(existing, line)
		}
		if v, ok := l["quantity"]; ok {
			q, isNum := number(v)
			if !isNum || q <= 0 || q < line["quantityReceived"].(float64) {
				return nil, invalidValue(path+".quantity", v)
			}
			line["quantity"] = q
		}
		if v, ok := l["rate"]; ok {
			r, isNum := number(v)
			if !isNum || r < 0 {
				return nil, invalidValue(path+".rate", v)
			}
			line["rate"] = r
		}
		if v, ok := l["description"].(string); ok {
			line["description"] = v
		}
		if v, ok := l["isClosed"].(bool); ok {
			line["isClosed"] = v
		}
	}
	if len(existing) == 0 {
		return nil, userError("item", "You must enter at least one line item for this transaction.")
	}
	po["item"] = existing
	settle(po)
	return po, nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// buildVendor makes or changes a vendor.
func buildVendor(s *Server, old rec, body map[string]any, _ []string) (rec, *apiError) {
	v := old
	if v == nil {
		v = rec{"subsidiary": subsidiary(), "isPerson": false, "isInactive": false, "currency": currencyRef(1)}
		if name, _ := body["companyName"].(string); strings.TrimSpace(name) == "" {
			return nil, missingValue("companyName", "Company Name")
		}
	}
	setScalars(v, body, []string{"companyName", "entityId", "legalName", "email", "phone", "isInactive", "comments", "externalId"})
	if _, ok := v["entityId"]; !ok {
		v["entityId"] = v["companyName"]
	}
	cur, _, given, e := s.refTo(body, "currency", "currency")
	if e != nil {
		return nil, e
	}
	if given {
		v["currency"] = cur
	}
	return v, nil
}

// buildPatchOnly changes the plain fields of a record the simulator does not
// create (employees, items, locations).
func buildPatchOnly(_ *Server, old rec, body map[string]any, _ []string) (rec, *apiError) {
	if old == nil {
		return nil, notWritable
	}
	delete(body, "id")
	setScalars(old, body, nil)
	return old, nil
}

// buildAdjustment makes an inventory adjustment: an account, and lines of
// item, location and adjustQtyBy.
func buildAdjustment(s *Server, _ rec, body map[string]any, _ []string) (rec, *apiError) {
	adj := rec{"subsidiary": subsidiary(), "tranDate": day(s.now().Unix())}
	acct, _, given, e := s.refTo(body, "account", "account")
	switch {
	case e != nil:
		return nil, e
	case !given:
		return nil, missingValue("account", "Adjustment Account")
	}
	adj["account"] = acct
	loc, _, given, e := s.refTo(body, "adjLocation", "location")
	if e != nil {
		return nil, e
	}
	if given {
		adj["adjLocation"] = loc
	}
	setScalars(adj, body, []string{"memo", "externalId", "tranId"})
	in, _, e := lines(body, "inventory")
	if e != nil {
		return nil, e
	}
	var out []rec
	for k, l := range in {
		path := fmt.Sprintf("inventory.items[%d]", k)
		it, item, e := s.required(l, "item", path, "Item", "inventoryItem")
		if e != nil {
			return nil, e
		}
		if _, ok := l["location"]; !ok && adj["adjLocation"] != nil {
			l["location"] = map[string]any{"id": loc.ID}
		}
		where, _, e := s.required(l, "location", path, "Location", "location")
		if e != nil {
			return nil, e
		}
		if stockRow(item, where.ID) == nil {
			return nil, invalidValue(path+".location", where.ID)
		}
		q, ok := number(l["adjustQtyBy"])
		if !ok || q == 0 {
			return nil, invalidValue(path+".adjustQtyBy", l["adjustQtyBy"])
		}
		out = append(out, rec{"line": k + 1, "item": it, "location": where, "adjustQtyBy": q, "unitCost": item["cost"],
			"description": item["displayName"]})
	}
	if len(out) == 0 {
		return nil, userError("inventory", "You must enter at least one line item for this transaction.")
	}
	adj["inventory"] = out
	return adj, nil
}

// stockRow is an item's locations line for a location, or nil.
func stockRow(item rec, locID string) rec {
	rows, _ := item["locations"].([]rec)
	for _, row := range rows {
		if row["location"].(ref).ID == locID {
			return row
		}
	}
	return nil
}

// applyAdjustment changes the items' quantities on hand by an adjustment
// (or back, with undo); nothing changes when a quantity would go below zero.
func applyAdjustment(s *Server, adj rec, undo bool) *apiError {
	items := s.tables["inventoryItem"]
	changed := map[int]rec{}
	for k, l := range adj["inventory"].([]rec) {
		n := atoi(l["item"].(ref).ID)
		item := changed[n]
		if item == nil {
			it, ok := items.get(n)
			if !ok {
				return invalidValue(fmt.Sprintf("inventory.items[%d].item", k), n)
			}
			item = clone(it)
			changed[n] = item
		}
		row := stockRow(item, l["location"].(ref).ID)
		delta := l["adjustQtyBy"].(float64)
		if undo {
			delta = -delta
		}
		q := row["quantityOnHand"].(float64) + delta
		if q < 0 {
			return userError(fmt.Sprintf("inventory.items[%d].adjustQtyBy", k), fmt.Sprintf(
				"You cannot adjust the quantity on hand of item %s at location %s below zero.", l["item"].(ref).Name, l["location"].(ref).Name))
		}
		row["quantityOnHand"], row["quantityAvailable"] = q, row["quantityAvailable"].(float64)+delta
		row["onHandValueMli"] = math.Round(q*row["averageCostMli"].(float64)*100) / 100
	}
	now := s.now()
	for n, item := range changed {
		item["lastModifiedDate"] = now
		items.put(n, item)
	}
	return nil
}
