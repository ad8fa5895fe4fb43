package limble

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// poMeta links a purchase order's related resources.
func poMeta(id, budget int) POMeta {
	return POMeta{
		Items: fmt.Sprintf("/v2/po/items?pos=%d", id), State: fmt.Sprintf("/v2/po/%d/state", id),
		StateTransitions: fmt.Sprintf("/v2/po/%d/state/transitions", id),
		Budget:           fmt.Sprintf("/v2/po/budgets?budgets=%d", budget), BudgetSteps: fmt.Sprintf("/v2/budgets/steps?budgets=%d", budget),
	}
}

// createPO serves POST /v2/po: locationID, vendorID and userID are
// required. The purchase order starts in state 0 (setup), without lines;
// the answer is 201 {"poID", "meta"}.
func (s *Server) createPO(q *request) *apiError {
	b, e := readBody(q.r)
	if e != nil {
		return e
	}
	for _, k := range []string{"locationID", "vendorID", "userID"} {
		if !b.has(k) {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s is required", k))
		}
	}
	now := s.now()
	po := PurchaseOrder{BudgetID: 1, Date: now, LastEdited: now}
	var expected int64
	if e := apply(b, setInt("locationID", &po.LocationID), setInt("vendorID", &po.VendorID), setInt("userID", &po.UserID),
		setInt("taskID", &po.TaskID), setInt("budgetID", &po.BudgetID), setTime("date", &po.Date), setTime("expectedDate", &expected),
		setText("requestDescription", &po.NotesToVendor),
		setNullable("customField1", &po.CustomField1), setNullable("customField2", &po.CustomField2),
		setNullable("customField3", &po.CustomField3), setNullable("customField4", &po.CustomField4),
		setNullable("customField5", &po.CustomField5), setNullable("customField6", &po.CustomField6)); e != nil {
		return e
	}
	if expected > 0 {
		po.ExpectedDate = str(strconv.FormatInt(expected, 10))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.checkLocation(po.LocationID); e != nil {
		return e
	}
	if _, ok := s.vendors.get(po.VendorID); !ok {
		return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid vendorID %d: the vendor does not exist", po.VendorID))
	}
	if _, ok := s.users.get(po.UserID); !ok {
		return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid userID %d: the user does not exist", po.UserID))
	}
	if po.TaskID != 0 {
		if _, ok := s.tasks.get(po.TaskID); !ok {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid taskID %d: the task does not exist", po.TaskID))
		}
	}
	po.UserIDStarted = po.UserID
	setState(&po, 0)
	id := s.pos.create(&po, func(po *PurchaseOrder, id int) {
		po.PoID, po.PoNumber, po.Meta = id, 1000+id, poMeta(id, po.BudgetID)
	})
	q.w.Header().Set("Location", fmt.Sprintf("/v2/po?pos=%d", id))
	m := poMeta(id, po.BudgetID)
	writeJSON(q.w, http.StatusCreated, map[string]any{"poID": id, "meta": map[string]string{
		"items": m.Items, "state": m.State, "stateTransitions": m.StateTransitions}})
	return nil
}

// Item types of a purchase order line.
const (
	itemPart    = 1
	itemService = 2
	itemOther   = 4
)

// createPOItem serves POST /v2/po/{poID}/items, with Limble's rules:
// itemType 1 (part) needs partID and takes no name or taskID; 2 (service)
// and 4 (other) need a name and take no partID; 2 needs a checklistID. The
// order must still be modifiable (setup or an approval step: 409 after).
// The answer is 201 {"itemID"}.
func (s *Server) createPOItem(q *request, poID int) *apiError {
	b, e := readBody(q.r)
	if e != nil {
		return e
	}
	if !b.has("itemType") {
		return errorf(http.StatusBadRequest, "Data validation error: itemType is required")
	}
	it := POItem{Qty: 1}
	var name, desc string
	var checklist int
	if e := apply(b, setInt("itemType", &it.ItemType), setInt("partID", &it.PartID), setInt("taskID", &it.TaskID),
		setInt("glID", &it.GlID), setInt("checklistID", &checklist), setInt("quantity", &it.Qty),
		setText("name", &name), setText("description", &desc)); e != nil {
		return e
	}
	for k, dst := range map[string]*float64{"rate": &it.Rate, "tax": &it.Tax, "discount": &it.Discount, "shipping": &it.Shipping} {
		v, ok, e := b.number(k)
		if e != nil {
			return e
		}
		if ok && v < 0 {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: %s must be 0 or greater", k))
		}
		*dst = v
	}
	switch {
	case it.Qty < 1:
		return errorf(http.StatusBadRequest, "Data validation error: quantity must be 1 or greater")
	case it.ItemType == itemPart && it.PartID == 0:
		return errorf(http.StatusBadRequest, "Data validation error: partID is required when itemType is 1")
	case it.ItemType == itemPart && (b.has("name") || b.has("taskID")):
		return errorf(http.StatusBadRequest, "Data validation error: name and taskID cannot be present when itemType is 1")
	case (it.ItemType == itemService || it.ItemType == itemOther) && strings.TrimSpace(name) == "":
		return errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: name is required when itemType is %d", it.ItemType))
	case (it.ItemType == itemService || it.ItemType == itemOther) && b.has("partID"):
		return errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: partID cannot be present when itemType is %d", it.ItemType))
	case it.ItemType == itemService && checklist == 0:
		return errorf(http.StatusBadRequest, "Data validation error: checklistID is required when itemType is 2")
	case it.ItemType != itemPart && it.ItemType != itemService && it.ItemType != itemOther:
		return errorf(http.StatusBadRequest, fmt.Sprintf("Data validation error: itemType %d is not 1, 2 or 4", it.ItemType))
	}
	if name != "" {
		it.Name = str(name)
	}
	if desc != "" {
		it.Description = str(desc)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.pos.get(poID)
	if !ok {
		return notFound("Purchase order", poID)
	}
	if !old.StateDetails.Current.CanModify {
		return errorf(http.StatusConflict, fmt.Sprintf("Purchase order %d is %s: its items cannot change", poID, old.StateDetails.Current.Label))
	}
	if it.PartID != 0 {
		if _, ok := s.parts.get(it.PartID); !ok {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid partID %d: the part does not exist", it.PartID))
		}
	}
	if it.TaskID != 0 {
		if _, ok := s.tasks.get(it.TaskID); !ok {
			return errorf(http.StatusBadRequest, fmt.Sprintf("Invalid taskID %d: the task does not exist", it.TaskID))
		}
	}
	po := *old
	po.LastEdited = s.now()
	it.PoID, it.PoNumber, it.LastEdited = poID, po.PoNumber, po.LastEdited
	it.PoItemID = s.nextItem()
	it.Meta.Po = fmt.Sprintf("/v2/po?pos=%d", poID)
	s.addedItems[poID] = append(s.addedItems[poID], it)
	s.pos.put(poID, &po)
	writeJSON(q.w, http.StatusCreated, map[string]any{"itemID": it.PoItemID})
	return nil
}

// nextItem returns the id of a new purchase order line, after every seeded
// one (the caller holds s.mu).
func (s *Server) nextItem() int {
	if s.lastItem == 0 {
		s.lastItem = (s.cfg.PurchaseOrders + 1) * 4
	}
	s.lastItem++
	return s.lastItem
}

// items returns a purchase order's lines: the seeded ones and those added
// through the API (the caller holds s.mu).
func (s *Server) items(po *PurchaseOrder) []POItem {
	var out []POItem
	if i := po.PoID - basePO; i >= 1 && i <= s.cfg.PurchaseOrders {
		out = s.p.poItems(po)
	}
	return append(out, s.addedItems[po.PoID]...)
}

// poStateOf reads a state as PATCH /v2/po/{poID}/state takes it: a number,
// a standard name (setup, ready_to_receive ...) or custom_step_N.
func poStateOf(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		_, ok := poStates[n]
		return n, ok
	}
	if n, ok := strings.CutPrefix(v, "custom_step_"); ok {
		k, err := strconv.Atoi(n)
		_, known := poStates[k]
		return k, err == nil && k >= 1 && k <= 96 && known
	}
	for n, st := range poStates {
		if st.Name == v {
			return n, true
		}
	}
	return 0, false
}

// setPOState serves PATCH /v2/po/{poID}/state: newState must be one of the
// order's next states (a purchase order moves one state per request);
// anything else is 400 {"success": false, "message"}.
func (s *Server) setPOState(q *request, poID int) *apiError {
	b, e := readBody(q.r)
	if e != nil {
		return e
	}
	raw, ok, e := b.text("newState")
	if e != nil {
		return e
	}
	if !ok || raw == "" {
		return errorf(http.StatusBadRequest, "Data validation error: newState is required")
	}
	if reason, _, _ := b.text("reason"); len(reason) > 500 {
		return errorf(http.StatusBadRequest, "Data validation error: reason must be at most 500 characters")
	}
	to, known := poStateOf(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, found := s.pos.get(poID)
	if !found {
		return notFound("Purchase order", poID)
	}
	allowed := false
	for _, n := range poNext[old.State] {
		allowed = allowed || (known && n == to)
	}
	if !allowed {
		return errorf(http.StatusBadRequest, "Transition not allowed from current state")
	}
	po := *old
	setState(&po, to)
	po.LastEdited = s.now()
	s.pos.put(poID, &po)
	writeJSON(q.w, http.StatusOK, map[string]any{"success": true, "message": "State changed", "currentState": poStates[to].Name})
	return nil
}

// poTransitions serves GET /v2/po/{poID}/state/transitions.
func (s *Server) poTransitions(q *request, poID int) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	po, ok := s.pos.get(poID)
	if !ok {
		return notFound("Purchase order", poID)
	}
	ref := func(n int) map[string]any {
		st := poStates[n]
		return map[string]any{"number": st.State, "name": st.Name, "label": st.Label}
	}
	next := []any{}
	req := map[string]any{}
	for _, n := range poNext[po.State] {
		next = append(next, ref(n))
		req[poStates[n].Name] = map[string]any{}
	}
	if _, ok := req["ready_to_receive"]; ok {
		req["ready_to_receive"] = map[string]any{"vendorRequired": true}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"currentState": ref(po.State), "validNextStates": next, "requirements": req})
	return nil
}

// deletePO serves DELETE /v2/po/{poID}: the order and its lines go.
func (s *Server) deletePO(q *request, poID int) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pos.get(poID); !ok {
		return notFound("Purchase order", poID)
	}
	s.pos.put(poID, nil)
	delete(s.addedItems, poID)
	q.w.WriteHeader(http.StatusOK)
	return nil
}
