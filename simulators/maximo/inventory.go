package maximo

import (
	"fmt"
	"strconv"
)

// Inventory records an item stocked in a storeroom. minlevel is the reorder
// point, orderqty the economic order quantity, maxlevel the stock ceiling.
func inventoryStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapiinventory", object: "INVENTORY", title: "Inventory",
		keys: []string{"itemnum", "itemsetid", "location", "siteid"}, uid: "inventoryid",
		statuses: itemStatuses, initialStatus: "ACTIVE",
		attrs: []attr{
			{name: "itemnum", kind: text, flags: key | upper | required, label: "Item", ref: itemRef},
			keyAttr("itemsetid", "Item Set"),
			{name: "location", kind: text, flags: key | upper | required, label: "Storeroom", ref: storeroomRef},
			siteAttr,
			orgAttr,
			codeAttr("status"),
			statusDate,
			decimalAttr("curbaltotal"),
			decimalAttr("reservedqty"),
			systemAttr("avblbalance", decimal),
			decimalAttr("minlevel"),
			decimalAttr("maxlevel"),
			decimalAttr("orderqty"),
			codeAttr("orderunit"),
			codeAttr("issueunit"),
			decimalAttr("avgcost"),
			decimalAttr("lastcost"),
			decimalAttr("stdcost"),
			codeAttr("binnum"),
			refAttr("vendor", "Vendor", vendorRef),
			intAttr("deliverytime"),
			decimalAttr("physcnt"),
			dateAttr("physcntdate"),
			codeAttr("abctype", "A", "B", "C"),
			codeAttr("category", "STK", "NS", "SP"),
			changeByAttr,
			changeDate,
			uidAttr("inventoryid"),
		},
		fill: func(ch *change) *apiError {
			ch.setDefault("itemsetid", itemSetID)
			if !ch.created() {
				return nil
			}
			for _, name := range []string{"curbaltotal", "reservedqty", "minlevel", "maxlevel", "orderqty", "avgcost", "lastcost", "stdcost"} {
				ch.setDefault(name, 0.0)
			}
			ch.setDefault("category", "STK")
			if item, ok := ch.lookup("mxapiitem", str(ch.rec, "itemnum"), str(ch.rec, "itemsetid")); ok {
				ch.setDefault("orderunit", item["orderunit"])
				ch.setDefault("issueunit", item["issueunit"])
			}
			return nil
		},
		check: func(ch *change) *apiError {
			for _, name := range []string{"curbaltotal", "reservedqty", "minlevel", "maxlevel", "orderqty"} {
				if num(ch.rec, name) < 0 {
					return badRequest(codeBadQuantity, "The value of %s on inventory item %s cannot be negative.", name, str(ch.rec, "itemnum"))
				}
			}
			ch.rec["avblbalance"] = num(ch.rec, "curbaltotal") - num(ch.rec, "reservedqty")
			return nil
		},
		deleteRefusal: func(rec record) string {
			if bal := num(rec, "curbaltotal"); bal != 0 {
				return fmt.Sprintf("Item %s in storeroom %s has a current balance of %v; adjust it to zero before deleting.",
					str(rec, "itemnum"), str(rec, "location"), bal)
			}
			return ""
		},
		actions: map[string]action{
			// wsmethod:adjustCurrentBalance {"newcurbal": N} sets the current balance.
			"adjustcurrentbalance": func(ch *change, body record) *apiError {
				v, err := actionNumber(body, "newcurbal", "New Current Balance")
				if err != nil {
					return err
				}
				ch.rec["curbaltotal"] = v
				return nil
			},
			// wsmethod:adjustPhysicalCount {"physcnt": N} records a count without moving stock.
			"adjustphysicalcount": func(ch *change, body record) *apiError {
				v, err := actionNumber(body, "physcnt", "Physical Count")
				if err != nil {
					return err
				}
				ch.rec["physcnt"] = v
				ch.rec["physcntdate"] = date(ch.now)
				return nil
			},
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:   p.nItems * len(p.stores),
				gen: p.inventoryRecord,
				key: func(k int) string {
					l := p.locs[p.stores[k%len(p.stores)]]
					return joinKey(p.itemNum(k/len(p.stores)), itemSetID, l.name, p.siteID(l.site))
				},
			}
		},
	}
	return os
}

// inventoryRecord generates seeded inventory k: item k/S in storeroom k%S.
func (p *plant) inventoryRecord(k int, changed int64) record {
	item := k / len(p.stores)
	l := p.locs[p.stores[k%len(p.stores)]]
	t, _ := p.item(item)
	r := newRNG(p.seed, streamInventory, k)
	reorder := float64(r.between(2, 20))
	ceiling := reorder * float64(r.between(3, 6))
	bal := float64(r.intn(int(ceiling) + 1))
	reserved := float64(r.intn(int(min(bal, 5)) + 1))
	avg := round2(t.cost * float64(r.between(90, 110)) / 100)
	rec := record{
		"itemnum":      p.itemNum(item),
		"itemsetid":    itemSetID,
		"location":     l.name,
		"siteid":       p.siteID(l.site),
		"orgid":        orgID,
		"status":       "ACTIVE",
		"statusdate":   date(changed - 90*day),
		"curbaltotal":  bal,
		"reservedqty":  reserved,
		"avblbalance":  bal - reserved,
		"minlevel":     reorder,
		"maxlevel":     ceiling,
		"orderqty":     ceiling - reorder,
		"orderunit":    t.unit,
		"issueunit":    t.unit,
		"avgcost":      avg,
		"lastcost":     round2(t.cost * float64(r.between(95, 115)) / 100),
		"stdcost":      t.cost,
		"binnum":       fmt.Sprintf("%c-%02d-%d", 'A'+rune(r.intn(6)), r.between(1, 20), r.between(1, 5)),
		"deliverytime": int64(r.between(2, 21)),
		"physcnt":      bal,
		"physcntdate":  date(changed - int64(r.intn(int(60*day)))),
		"abctype":      pick(&r, []string{"A", "B", "C"}),
		"category":     "STK",
		"changeby":     "MXINTADM",
	}
	if len(p.vendors) > 0 {
		rec["vendor"] = p.companyCode(pick(&r, p.vendors))
	}
	return rec
}

// actionNumber reads a required number from an action body.
func actionNumber(body record, name, label string) (float64, *apiError) {
	v, ok := body[name]
	if !ok || v == nil {
		return 0, badRequest(codeRequired, "A value is required for the %s field on the INVENTORY object.", label)
	}
	f, err := strconv.ParseFloat(toString(v), 64)
	if err != nil {
		return 0, badRequest(codeBadValue, "The value %v is not valid for %s.", v, name)
	}
	return f, nil
}
