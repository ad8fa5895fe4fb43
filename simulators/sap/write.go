package sap

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// decodeBody reads a JSON request body (numbers kept as json.Number, so an
// Edm.Decimal sent as a number is refused as SAP refuses it).
func decodeBody(q *request) (map[string]any, *odataError) {
	dec := json.NewDecoder(q.r.Body)
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/017", "Malformed request body: "+err.Error())
	}
	if d, ok := body["d"].(map[string]any); ok && len(body) == 1 {
		body = d
	}
	return body, nil
}

// children reads a deep-insert navigation property: an array, or
// {"results": [...]}.
func childrenOf(body map[string]any, nav string) ([]map[string]any, *odataError) {
	v, ok := body[nav]
	if !ok {
		return nil, nil
	}
	delete(body, nav)
	if m, ok := v.(map[string]any); ok {
		v = m["results"]
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/017", "Navigation property '"+nav+"' must hold a list of entities")
	}
	out := make([]map[string]any, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/017", "Navigation property '"+nav+"' must hold a list of entities")
		}
		out[i] = m
	}
	return out, nil
}

// apply sets the properties of a request body on r; keys are refused when
// they may not be set, as are read-only properties.
func apply(set *entitySet, r rec, body map[string]any, keysAllowed bool) *odataError {
	for name, v := range body {
		if name == "__metadata" {
			continue
		}
		p := set.prop(name)
		if p == nil {
			return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/017", fmt.Sprintf("Property '%s' is invalid for %s", name, set.Type))
		}
		if p.readOnly || (!keysAllowed && slices.Contains(set.Keys, name)) {
			return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/018", fmt.Sprintf("Property '%s' of %s cannot be changed", name, set.Type))
		}
		x, err := fromJSON(p, v)
		if err != nil {
			return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/017", fmt.Sprintf("Property '%s': %v", name, err))
		}
		r[name] = x
	}
	return nil
}

func required(r rec, names ...string) *odataError {
	for _, n := range names {
		if r.str(n) == "" {
			return errorf(http.StatusBadRequest, "ME/083", "Fill in the mandatory field "+n)
		}
	}
	return nil
}

// create answers POST on an entity set: a maintenance order, a purchase
// order with its items (deep insert) or a material document (a goods
// movement), answered 201 with the record and its children.
func (s *Server) create(q *request, set *entitySet) *odataError {
	body, e := decodeBody(q)
	if e != nil {
		return e
	}
	var r rec
	switch set {
	case setPurchaseOrder:
		r, e = s.createPurchaseOrder(q, body)
	case setMaterialDocument:
		r, e = s.postGoodsMovement(q, body)
	case setMaintenanceOrder:
		r, e = s.createOrder(q, body)
	default:
		return errorf(http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/004", "The simulator does not create "+set.Name+" records")
	}
	if e != nil {
		return e
	}
	return s.writeCreated(q, set, r, all(set))
}

// stamp7 is a change time with the 7 decimal places of Edm.DateTimeOffset
// Precision 7.
func stamp7(t time.Time) time.Time { return t.Truncate(100 * time.Nanosecond) }

func (s *Server) createPurchaseOrder(q *request, body map[string]any) (rec, *odataError) {
	items, e := childrenOf(body, "to_PurchaseOrderItem")
	if e != nil {
		return nil, e
	}
	if _, ok := body["PurchaseOrder"]; ok {
		return nil, errorf(http.StatusBadRequest, "ME/082", "Purchase order numbers are assigned internally; leave PurchaseOrder empty")
	}
	po := rec{}
	if e := apply(setPurchaseOrder, po, body, false); e != nil {
		return nil, e
	}
	if e := required(po, "CompanyCode", "PurchaseOrderType", "Supplier", "PurchasingOrganization", "PurchasingGroup"); e != nil {
		return nil, e
	}
	if len(items) == 0 {
		return nil, errorf(http.StatusBadRequest, "ME/039", "Purchase order has no items; add at least one item")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.checkSupplier(po.str("Supplier")); e != nil {
		return nil, e
	}
	now := s.now()
	if po.str("DocumentCurrency") == "" {
		po["DocumentCurrency"] = plantTable[plantIndex(po.str("CompanyCode"))].currency
	}
	if po["PurchaseOrderDate"] == nil {
		po["PurchaseOrderDate"] = day(now)
	}
	if po.str("Language") == "" {
		po["Language"] = "EN"
	}
	key := s.p.purchaseOrderKey(s.nextPO)
	po["PurchaseOrder"], po["CreatedByUser"], po["CreationDate"] = key, q.user(), day(now)
	po["LastChangeDateTime"], po["PurchasingProcessingStatus"], po["PurchasingDocumentDeletionCode"] = stamp7(now), "02", ""
	po["ReleaseIsNotCompleted"] = false
	var out []rec
	for n, body := range items {
		it := rec{}
		if e := apply(setPurchaseOrderItem, it, body, true); e != nil {
			return nil, e
		}
		if e := s.checkItem(it, n); e != nil {
			return nil, e
		}
		it["PurchaseOrder"], it["DocumentCurrency"], it["PurchasingDocumentDeletionCode"] = key, po["DocumentCurrency"], ""
		if slices.ContainsFunc(out, func(x rec) bool { return x.str("PurchaseOrderItem") == it.str("PurchaseOrderItem") }) {
			return nil, errorf(http.StatusBadRequest, "ME/086", "Item "+it.str("PurchaseOrderItem")+" exists twice")
		}
		out = append(out, it)
	}
	po["to_PurchaseOrderItem"] = out
	s.nextPO++
	s.tables[setPurchaseOrder].put(key, po)
	return po, nil
}

func (s *Server) writeCreated(q *request, set *entitySet, r rec, v view) *odataError {
	body, etag := s.encode(set, r, baseURL(q.r), v)
	q.w.Header().Set("Location", entityURI(set, r, baseURL(q.r)))
	q.w.Header().Set("ETag", etag)
	writeJSONBody(q.w, http.StatusCreated, []byte(`{"d":`), body, []byte(`}`))
	return nil
}

// orderTypes are the maintenance order types the simulated system has.
var orderTypeNames = []string{"PM01", "PM02", "PM03"}

// createOrder creates a maintenance order in status CRTD: an order type, a
// description and a technical object (equipment or functional location) or
// a planning plant are required.
func (s *Server) createOrder(q *request, body map[string]any) (rec, *odataError) {
	o := rec{}
	if e := apply(setMaintenanceOrder, o, body, false); e != nil {
		return nil, e
	}
	if e := required(o, "MaintenanceOrderType", "MaintenanceOrderDesc"); e != nil {
		return nil, e
	}
	if !slices.Contains(orderTypeNames, o.str("MaintenanceOrderType")) {
		return nil, errorf(http.StatusBadRequest, "IW/010", "Order type "+o.str("MaintenanceOrderType")+" is not defined")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.checkChange(setMaintenanceOrder, rec{}, o); e != nil {
		return nil, e
	}
	if fl := o.str("FunctionalLocation"); fl != "" {
		f, ok := s.tables[setFunctionalLocation].get(fl)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "IW/006", "Functional location "+fl+" does not exist")
		}
		if o.str("MaintenancePlanningPlant") == "" {
			o["MaintenancePlanningPlant"] = f.str("MaintenancePlant")
		}
	}
	if eq := o.str("Equipment"); eq != "" {
		e, _ := s.tables[setEquipment].get(eq + "\x00" + "99991231")
		o["MaintenancePlanningPlant"] = e.str("MaintenancePlant")
	}
	plant := o.str("MaintenancePlanningPlant")
	if plant == "" {
		return nil, errorf(http.StatusBadRequest, "IW/040", "Enter a technical object or a planning plant")
	}
	if _, ok := s.tables[setPlant].get(plant); !ok {
		return nil, errorf(http.StatusBadRequest, "IW/041", "Planning plant "+plant+" does not exist")
	}
	now := s.now().Truncate(time.Second)
	pi := plantTable[plantIndex(plant)]
	key := s.p.orderKey(s.nextMO)
	o["MaintenanceOrder"], o["SystemStatusText"], o["CreatedByUser"], o["MaintOrderCreationDateTime"] = key, "CRTD", q.user(), now
	o["MaintenancePlant"], o["MainWorkCenterPlant"], o["CompanyCode"], o["Currency"] = plant, plant, plant, pi.currency
	o["MaintPriorityType"] = "PM"
	if o.str("TechnicalObject") == "" {
		o["TechnicalObject"], o["TechObjIsEquipOrFuncnlLoc"] = o.str("FunctionalLocation"), "EAMS_FL"
	} else {
		o["TechObjIsEquipOrFuncnlLoc"] = "EAMS_EQUI"
	}
	if o["MaintOrdBasicStartDateTime"] == nil {
		o["MaintOrdBasicStartDateTime"] = now
	}
	s.touch(setMaintenanceOrder, o, q.user())
	s.nextMO++
	s.tables[setMaintenanceOrder].put(key, o)
	return o, nil
}

// checkSupplier refuses a supplier that does not exist or is blocked; the
// caller holds s.mu.
func (s *Server) checkSupplier(id string) *odataError {
	sup, ok := s.tables[setSupplier].get(id)
	switch {
	case !ok:
		return errorf(http.StatusBadRequest, "ME/045", "Supplier "+id+" does not exist")
	case sup.flag("PurchasingIsBlocked") || sup.flag("DeletionIndicator"):
		return errorf(http.StatusBadRequest, "06/042", "Supplier "+id+" is blocked for purchasing")
	}
	return nil
}

// checkItem validates a purchase order item and fills its defaults; the
// caller holds s.mu.
func (s *Server) checkItem(it rec, n int) *odataError {
	if it.str("PurchaseOrderItem") == "" {
		it["PurchaseOrderItem"] = strconv.Itoa(10 * (n + 1))
	}
	item := "Item " + it.str("PurchaseOrderItem") + ": "
	if it.str("Plant") == "" {
		return errorf(http.StatusBadRequest, "ME/083", item+"Fill in the mandatory field Plant")
	}
	if _, ok := s.tables[setPlant].get(it.str("Plant")); !ok {
		return errorf(http.StatusBadRequest, "ME/027", item+"Plant "+it.str("Plant")+" does not exist")
	}
	if sl := it.str("StorageLocation"); sl != "" {
		if _, ok := s.tables[setStorageLocation].get(it.str("Plant") + "\x00" + sl); !ok {
			return errorf(http.StatusBadRequest, "M7/001", item+"Storage location "+it.str("Plant")+" "+sl+" does not exist")
		}
	}
	if m := it.str("Material"); m != "" {
		p, ok := s.tables[setProduct].get(m)
		if !ok {
			return errorf(http.StatusBadRequest, "M3/305", item+"Material "+m+" does not exist")
		}
		if it.str("PurchaseOrderQuantityUnit") == "" {
			it["PurchaseOrderQuantityUnit"] = p.str("PurchaseOrderQuantityUnit")
		}
		if it.str("PurchaseOrderItemText") == "" {
			it["PurchaseOrderItemText"] = p.children("to_Description")[0].str("ProductDescription")
		}
		if it.str("MaterialGroup") == "" {
			it["MaterialGroup"] = p.str("ProductGroup")
		}
	} else {
		if it.str("PurchaseOrderItemText") == "" {
			return errorf(http.StatusBadRequest, "ME/083", item+"Enter a material or a short text")
		}
		if it.str("MaterialGroup") == "" {
			return errorf(http.StatusBadRequest, "ME/083", item+"Enter a material group for an item without material")
		}
		if it.str("PurchaseOrderQuantityUnit") == "" {
			return errorf(http.StatusBadRequest, "ME/083", item+"Enter an order unit for an item without material")
		}
	}
	if it.dec("OrderQuantity") <= 0 {
		return errorf(http.StatusBadRequest, "06/074", item+"Enter a quantity greater than zero")
	}
	if it.dec("NetPriceAmount") < 0 {
		return errorf(http.StatusBadRequest, "06/218", item+"The net price must not be negative")
	}
	if _, ok := it["NetPriceAmount"]; !ok {
		return errorf(http.StatusBadRequest, "06/218", item+"No price could be determined; enter a net price")
	}
	if it.dec("NetPriceQuantity") == 0 {
		it["NetPriceQuantity"] = decOf(1)
	}
	for _, f := range []string{"IsCompletelyDelivered", "IsFinallyInvoiced"} {
		if _, ok := it[f]; !ok {
			it[f] = false
		}
	}
	return nil
}

// checkETag compares If-Match with a record's ETag: 428 without one, 412
// when it is stale.
func checkETag(q *request, set *entitySet, r rec) *odataError {
	m := q.r.Header.Get("If-Match")
	switch {
	case m == "":
		return errorf(http.StatusPreconditionRequired, "/IWBEP/CM_MGW_RT/025", "Precondition required: send the ETag of "+set.Type+" in If-Match")
	case m == "*" || m == etagOfRecord(set, r):
		return nil
	}
	return errorf(http.StatusPreconditionFailed, "/IWBEP/CM_MGW_RT/022", "The data has been changed by another user since it was read (ETag mismatch); read it again")
}

// updatable are the sets PATCH, MERGE and PUT change.
var updatable = map[*entitySet]bool{setMaintenanceOrder: true, setPurchaseOrder: true, setEquipment: true,
	setFunctionalLocation: true, setProduct: true, setSupplier: true}

// update answers PATCH and MERGE (the properties sent) and PUT (all
// properties), with If-Match.
func (s *Server) update(q *request, set *entitySet, key string) *odataError {
	if !updatable[set] {
		return errorf(http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/004", "The simulator does not change "+set.Name+" records")
	}
	body, e := decodeBody(q)
	if e != nil {
		return e
	}
	for _, n := range set.Navs {
		delete(body, n.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	old, ok := t.get(key)
	if !ok {
		return errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/020", fmt.Sprintf("Resource not found for segment '%s'", set.Type))
	}
	if e := checkETag(q, set, old); e != nil {
		return e
	}
	r := old.clone()
	if q.method == http.MethodPut {
		for _, p := range set.Props {
			if !p.readOnly && !slices.Contains(set.Keys, p.Name) {
				delete(r, p.Name)
			}
		}
	}
	for _, k := range set.Keys {
		if v, ok := body[k]; ok {
			if x, err := fromJSON(set.prop(k), v); err != nil || compare(x, r[k]) != 0 {
				return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/018", "Key property '"+k+"' cannot be changed")
			}
			delete(body, k)
		}
	}
	if e := apply(set, r, body, false); e != nil {
		return e
	}
	if e := s.checkChange(set, old, r); e != nil {
		return e
	}
	s.touch(set, r, q.user())
	t.put(key, r)
	q.w.Header().Set("ETag", etagOfRecord(set, r))
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// touch stamps a change: the change time and the user; the caller holds
// s.mu.
func (s *Server) touch(set *entitySet, r rec, user string) {
	if set.changeTime != "" {
		t := s.now()
		if set.prop(set.changeTime).Precision == 0 {
			t = t.Truncate(time.Second)
		}
		r[set.changeTime] = stamp7(t)
	}
	for _, f := range []string{"LastChangeByUser", "LastChangedByUser"} {
		if set.prop(f) != nil {
			r[f] = user
		}
	}
	if set.prop("LastChangeDate") != nil {
		r["LastChangeDate"] = day(s.now())
	}
}

// checkChange applies the business rules of a change; the caller holds
// s.mu.
func (s *Server) checkChange(set *entitySet, old, r rec) *odataError {
	switch set {
	case setPurchaseOrder:
		if old.str("PurchasingDocumentDeletionCode") != "" {
			return errorf(http.StatusBadRequest, "06/013", "Purchase order "+old.str("PurchaseOrder")+" is deleted and cannot be changed")
		}
		if r.str("Supplier") != old.str("Supplier") {
			return s.checkSupplier(r.str("Supplier"))
		}
	case setMaintenanceOrder:
		if p := r.str("MaintPriority"); p != "" && (p < "1" || p > "4" || len(p) != 1) {
			return errorf(http.StatusBadRequest, "IW/050", "Priority "+p+" is not defined for priority type PM")
		}
		if eq := r.str("Equipment"); eq != old.str("Equipment") && eq != "" {
			e, ok := s.tables[setEquipment].get(eq + "\x00" + "99991231")
			if !ok {
				return errorf(http.StatusBadRequest, "IW/005", "Equipment "+eq+" does not exist")
			}
			r["EquipmentName"], r["TechnicalObject"], r["FunctionalLocation"] = e.str("EquipmentName"), eq, e.str("FunctionalLocation")
		}
	}
	return nil
}

// remove answers DELETE: on a purchase order it sets the deletion
// indicator (L) of the order and its items, as SAP does; the order stays
// readable.
func (s *Server) remove(q *request, set *entitySet, key string) *odataError {
	if set != setPurchaseOrder {
		return errorf(http.StatusMethodNotAllowed, "/IWBEP/CM_MGW_RT/004", "The simulator does not delete "+set.Name+" records")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tables[set].get(key)
	if !ok {
		return errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/020", fmt.Sprintf("Resource not found for segment '%s'", set.Type))
	}
	if e := checkETag(q, set, old); e != nil {
		return e
	}
	r := old.clone()
	r["PurchasingDocumentDeletionCode"] = "L"
	for _, it := range r.children("to_PurchaseOrderItem") {
		it["PurchasingDocumentDeletionCode"] = "L"
	}
	s.touch(set, r, q.user())
	s.tables[set].put(key, r)
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// Maintenance order statuses: one of CRTD, REL, TECO, CLSD, DNEX, and LKD
// while locked ("REL  LKD").
type orderStatus struct {
	base   string
	locked bool
}

func parseStatus(text string) orderStatus {
	var st orderStatus
	for _, f := range strings.Fields(text) {
		if f == "LKD" {
			st.locked = true
		} else {
			st.base = f
		}
	}
	return st
}

func (st orderStatus) String() string {
	if st.locked {
		return st.base + "  LKD"
	}
	return st.base
}

// transitions: a function import's allowed statuses and the status it sets.
var transitions = map[string]struct {
	from []string
	to   string
}{
	"ReleaseMaintenanceOrder":       {[]string{"CRTD", "REL"}, "REL"},
	"SetMaintOrdToTechCompleted":    {[]string{"CRTD", "REL"}, "TECO"},
	"ResetMaintOrdStsTechCompleted": {[]string{"TECO"}, "REL"},
	"SetMaintOrderStatusToClosed":   {[]string{"TECO"}, "CLSD"},
	"ResetMaintOrderStatusClosed":   {[]string{"CLSD"}, "TECO"},
	"SetMaintOrderToDoNotExecute":   {[]string{"CRTD", "REL"}, "DNEX"},
	"ResetStatusFromDoNotExecute":   {[]string{"DNEX"}, "CRTD"},
	"SetMaintOrderStatusToLocked":   {[]string{"CRTD", "REL", "TECO"}, ""},
	"SetMaintOrderStatusToUnlocked": {[]string{"CRTD", "REL", "TECO"}, ""},
}

// callFunction runs a maintenance order status function import: POST
// .../ReleaseMaintenanceOrder?MaintenanceOrder='4000001' with If-Match.
func (s *Server) callFunction(q *request, f *functionImport) *odataError {
	v := q.r.URL.Query()
	args := map[string]any{}
	for name, vals := range v {
		if strings.HasPrefix(name, "sap-") || strings.HasPrefix(name, "$") {
			continue
		}
		i := slices.IndexFunc(f.Params, func(p param) bool { return p.Name == name })
		if i < 0 {
			return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/015", fmt.Sprintf("Parameter '%s' is not a parameter of function import %s", name, f.Name))
		}
		x, err := parseLiteral(&property{Name: name, Type: f.Params[i].Type}, vals[0])
		if err != nil {
			return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/015", err.Error())
		}
		args[name] = x
	}
	id, _ := args["MaintenanceOrder"].(string)
	if id == "" {
		return errorf(http.StatusBadRequest, "/IWBEP/CM_MGW_RT/015", "Parameter 'MaintenanceOrder' of function import "+f.Name+" is missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[setMaintenanceOrder]
	old, ok := t.get(id)
	if !ok {
		return errorf(http.StatusNotFound, "/IWBEP/CM_MGW_RT/020", "Order "+id+" does not exist")
	}
	if e := checkETag(q, setMaintenanceOrder, old); e != nil {
		return e
	}
	st := parseStatus(old.str("SystemStatusText"))
	tr := transitions[f.Name]
	refused := !slices.Contains(tr.from, st.base) ||
		(st.locked && f.Name != "SetMaintOrderStatusToUnlocked" && f.Name != "SetMaintOrderStatusToLocked") ||
		(f.Name == "SetMaintOrderStatusToUnlocked" && !st.locked)
	if refused {
		return errorf(http.StatusBadRequest, "BS/007", fmt.Sprintf("Order %s: %s is not allowed (status %s)", id, f.Name, st))
	}
	r := old.clone()
	switch f.Name {
	case "SetMaintOrderStatusToLocked":
		st.locked = true
	case "SetMaintOrderStatusToUnlocked":
		st.locked = false
	default:
		st.base = tr.to
	}
	switch tr.to {
	case "TECO":
		if f.Name == "SetMaintOrdToTechCompleted" {
			done := s.now().Truncate(time.Second)
			if ref, ok := args["MaintOrderReferenceDateTime"].(time.Time); ok {
				done = ref
			}
			r["MainWorkCompletedDateTime"] = done
		}
	case "REL", "CRTD":
		r["MainWorkCompletedDateTime"] = nil
	}
	r["SystemStatusText"] = st.String()
	s.touch(setMaintenanceOrder, r, q.user())
	t.put(id, r)
	res := fmt.Sprintf(`{"d":{%q:{"__metadata":{"type":%q},"IsInvalid":false}}}`, f.Name, f.ReturnType)
	writeJSONBody(q.w, http.StatusOK, []byte(res))
	return nil
}

// Goods movements (API_MATERIAL_DOCUMENT_SRV, beyond the shared
// descriptions): a material document with items of movement type 561 or
// 701 (receipt, stock up) and 562 or 702 (issue, stock down) posted to
// unrestricted-use stock.
var movementSign = map[string]dec{"561": 1, "701": 1, "562": -1, "702": -1}

func (s *Server) postGoodsMovement(q *request, body map[string]any) (rec, *odataError) {
	items, e := childrenOf(body, "to_MaterialDocumentItem")
	if e != nil {
		return nil, e
	}
	doc := rec{}
	if e := apply(setMaterialDocument, doc, body, false); e != nil {
		return nil, e
	}
	if !slices.Contains([]string{"03", "05", "06"}, doc.str("GoodsMovementCode")) {
		return nil, errorf(http.StatusBadRequest, "M7/895", "Goods movement code '"+doc.str("GoodsMovementCode")+"' is not supported (03, 05, 06)")
	}
	if len(items) == 0 {
		return nil, errorf(http.StatusBadRequest, "M7/036", "The document has no items")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, f := range []string{"PostingDate", "DocumentDate"} {
		if doc[f] == nil {
			doc[f] = day(now)
		}
	}
	year := strconv.Itoa(doc.time("PostingDate").Year())
	number := strconv.Itoa(4900000000 + s.nextDoc)
	doc["MaterialDocumentYear"], doc["MaterialDocument"], doc["CreatedByUser"], doc["CreationDate"] = year, number, q.user(), day(now)
	stock := s.tables[setStock]
	changed := map[string]rec{}
	var out []rec
	for n, b := range items {
		it := rec{}
		if e := apply(setMaterialDocumentItem, it, b, false); e != nil {
			return nil, e
		}
		sign, ok := movementSign[it.str("GoodsMovementType")]
		if !ok {
			return nil, errorf(http.StatusBadRequest, "M7/895", "Movement type '"+it.str("GoodsMovementType")+"' is not supported (561, 562, 701, 702)")
		}
		m, plant, sl := it.str("Material"), it.str("Plant"), it.str("StorageLocation")
		p, ok := s.tables[setProduct].get(m)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "M3/305", "Material "+m+" does not exist")
		}
		if _, ok := s.tables[setStorageLocation].get(plant + "\x00" + sl); !ok {
			return nil, errorf(http.StatusBadRequest, "M7/001", "Storage location "+plant+" "+sl+" does not exist")
		}
		if u := it.str("EntryUnit"); u != "" && u != p.str("BaseUnit") {
			return nil, errorf(http.StatusBadRequest, "M7/124", "Unit "+u+" cannot be converted to the base unit "+p.str("BaseUnit")+" of "+m)
		}
		qty := it.dec("QuantityInEntryUnit")
		if qty <= 0 {
			return nil, errorf(http.StatusBadRequest, "M7/018", "Enter a quantity greater than zero")
		}
		row := keyOf(setStock, stockRow(m, plant, sl, "", 0))
		cur, ok := changed[row]
		if !ok {
			if x, found := stock.get(row); found {
				cur = x.clone()
			} else {
				cur = stockRow(m, plant, sl, p.str("BaseUnit"), 0)
			}
		}
		level := cur.dec("MatlWrhsStkQtyInMatlBaseUnit") + sign*qty
		if level < 0 {
			return nil, errorf(http.StatusBadRequest, "M7/021", fmt.Sprintf("Deficit of SL Unrestricted-use %s %s : %s %s %s",
				(-level).format(3), p.str("BaseUnit"), m, plant, sl))
		}
		cur["MatlWrhsStkQtyInMatlBaseUnit"] = level
		changed[row] = cur
		it["MaterialDocumentYear"], it["MaterialDocument"], it["MaterialDocumentItem"] = year, number, strconv.Itoa(n+1)
		it["EntryUnit"] = p.str("BaseUnit")
		out = append(out, it)
	}
	for k, r := range changed {
		stock.put(k, r)
	}
	doc["to_MaterialDocumentItem"] = out
	s.nextDoc++
	s.tables[setMaterialDocument].put(keyOf(setMaterialDocument, doc), doc)
	return doc, nil
}
