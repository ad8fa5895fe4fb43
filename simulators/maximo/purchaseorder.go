package maximo

import (
	"fmt"
	"strconv"
)

var poStatuses = map[string][]string{
	"WAPPR": {"APPR", "HOLD", "CAN"},
	"APPR":  {"INPRG", "HOLD", "CLOSE", "CAN"},
	"INPRG": {"HOLD", "CLOSE"},
	"HOLD":  {"WAPPR", "APPR", "CAN"},
	"CLOSE": nil,
	"CAN":   nil,
}

var poLineObject = &childObject{object: "POLINE", key: "polinenum", attrs: []attr{
	intAttr("polinenum"),
	refAttr("itemnum", "Item", itemRef),
	textAttr("description"),
	{name: "orderqty", kind: decimal, flags: required, label: "Quantity Ordered"},
	codeAttr("orderunit"),
	decimalAttr("unitcost"),
	systemAttr("linecost", decimal),
	systemAttr("receivedqty", decimal),
	refAttr("tostoreloc", "Storeroom", storeroomRef),
	codeAttr("linetype", "ITEM", "MATERIAL", "SERVICE"),
}}

func purchaseOrderStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapipo", object: "PO", title: "PO",
		keys: []string{"ponum", "siteid"}, uid: "poid", autokey: "ponum",
		statuses: poStatuses, initialStatus: "WAPPR",
		attrs: []attr{
			keyAttr("ponum", "PO"),
			siteAttr,
			orgAttr,
			systemAttr("revisionnum", integer),
			textAttr("description"),
			codeAttr("status"),
			statusDate,
			{name: "vendor", kind: text, flags: upper | required, label: "Vendor", ref: vendorRef},
			dateAttr("orderdate"),
			dateAttr("requireddate"),
			codeAttr("currencycode"),
			systemAttr("totalcost", decimal),
			refAttr("storeloc", "Storeroom", storeroomRef),
			codeAttr("shipto"),
			refAttr("purchaseagent", "Purchase Agent", personRef),
			changeByAttr,
			changeDate,
			uidAttr("poid"),
			{name: "poline", kind: rows, child: poLineObject},
		},
		fill: func(ch *change) *apiError {
			rec := ch.rec
			if ch.created() {
				rec["revisionnum"] = int64(0)
				ch.setDefault("orderdate", date(ch.now))
				ch.setDefault("currencycode", currency)
				if s, ok := ch.s.plant.siteIndex[str(rec, "siteid")]; ok {
					ch.setDefault("storeloc", ch.s.plant.locs[ch.s.plant.siteStores[s][0]].name)
				}
				ch.setDefault("shipto", rec["storeloc"])
			}
			for _, line := range rowsOf(rec, "poline") {
				setDefault(line, "receivedqty", 0.0)
				setDefault(line, "unitcost", 0.0)
				if str(line, "itemnum") == "" {
					setDefault(line, "linetype", "MATERIAL")
					continue
				}
				setDefault(line, "linetype", "ITEM")
				setDefault(line, "tostoreloc", rec["storeloc"])
				if item, ok := ch.lookup("mxapiitem", str(line, "itemnum"), itemSetID); ok {
					setDefault(line, "description", item["description"])
					setDefault(line, "orderunit", item["orderunit"])
				}
			}
			return nil
		},
		check: func(ch *change) *apiError {
			total := 0.0
			for _, line := range rowsOf(ch.rec, "poline") {
				n := line["polinenum"]
				if num(line, "orderqty") <= 0 {
					return badRequest(codeBadQuantity, "The quantity ordered on PO line %v must be greater than zero.", n)
				}
				if str(line, "itemnum") == "" && str(line, "description") == "" {
					return badRequest(codeRequired, "A value is required for the Item or Description field on the POLINE object (line %v).", n)
				}
				line["linecost"] = round2(num(line, "orderqty") * num(line, "unitcost"))
				total += num(line, "linecost")
			}
			ch.rec["totalcost"] = round2(total)
			return nil
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:          p.nPOs,
				gen:        p.purchaseOrder,
				key:        func(i int) string { return joinKey(p.poNum(i), p.siteID(i%len(p.sites))) },
				keyOrdered: true,
			}
		},
	}
	os.deleteRefusal = onlyDeletableIn(os, "WAPPR")
	return os
}

func (p *plant) poNum(i int) string { return strconv.Itoa(p.poBase + i) }

func poStatus(r *rng, age float64) string {
	switch {
	case age < 0.1:
		return weighted[string]{{"WAPPR", 30}, {"APPR", 35}, {"INPRG", 25}, {"HOLD", 10}}.pick(r)
	case age < 0.25:
		return weighted[string]{{"APPR", 15}, {"INPRG", 25}, {"CLOSE", 55}, {"CAN", 5}}.pick(r)
	}
	return weighted[string]{{"CLOSE", 92}, {"CAN", 8}}.pick(r)
}

// purchaseOrder generates seeded purchase order i, last changed at changed.
func (p *plant) purchaseOrder(i int, changed int64) record {
	r := newRNG(p.seed, streamPO, i)
	site := i % len(p.sites)
	status := poStatus(&r, float64(p.nPOs-1-i)/float64(p.nPOs))
	vendor := p.companies[pick(&r, p.vendors)]
	store := p.locs[pick(&r, p.siteStores[site])].name
	ordered := changed - int64(r.between(1, 20))*day
	if status == "WAPPR" {
		ordered = changed
	}

	var lines []record
	total := 0.0
	for k := range r.between(1, 4) {
		qty := float64(r.between(1, 24))
		line := record{"polinenum": int64(k + 1), "orderqty": qty, "linetype": "MATERIAL"}
		cost := 25 + float64(r.intn(400))
		if p.nItems > 0 {
			item := r.intn(p.nItems)
			t, variant := p.item(item)
			cost = t.cost
			line["itemnum"] = p.itemNum(item)
			line["description"] = t.name + " " + variant
			line["orderunit"] = t.unit
			line["linetype"] = "ITEM"
			line["tostoreloc"] = store
		} else {
			line["description"] = pick(&r, poDescriptions)
			line["orderunit"] = "EACH"
		}
		unit := round2(cost * float64(r.between(90, 120)) / 100)
		line["unitcost"] = unit
		line["linecost"] = round2(qty * unit)
		switch status {
		case "CLOSE":
			line["receivedqty"] = qty
		case "INPRG":
			line["receivedqty"] = float64(r.intn(int(qty)))
		default:
			line["receivedqty"] = 0.0
		}
		total += num(line, "linecost")
		lines = append(lines, line)
	}

	description := pick(&r, poDescriptions)
	if d := str(lines[0], "description"); len(lines) == 1 {
		description = d
	} else if str(lines[0], "itemnum") != "" {
		description = fmt.Sprintf("%s and %d more items", d, len(lines)-1)
	}
	rec := record{
		"ponum":        p.poNum(i),
		"siteid":       p.siteID(site),
		"orgid":        orgID,
		"revisionnum":  int64(0),
		"description":  description,
		"status":       status,
		"statusdate":   date(changed),
		"vendor":       vendor.code,
		"orderdate":    date(ordered),
		"requireddate": date(ordered + int64(r.between(7, 30))*day),
		"currencycode": currency,
		"totalcost":    round2(total),
		"storeloc":     store,
		"shipto":       store,
		"changeby":     "MXINTADM",
		"poline":       lines,
	}
	if len(p.buyers) > 0 {
		rec["purchaseagent"] = p.persons[pick(&r, p.buyers)].id
	}
	return rec
}
