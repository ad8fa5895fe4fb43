package maximo

var itemStatuses = map[string][]string{
	"PLANNING": {"ACTIVE", "PENDOBS", "OBSOLETE"},
	"ACTIVE":   {"PENDOBS", "OBSOLETE"},
	"PENDOBS":  {"ACTIVE", "OBSOLETE"},
	"OBSOLETE": nil,
}

func itemStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapiitem", object: "ITEM", title: "Item",
		keys: []string{"itemnum", "itemsetid"}, uid: "itemid",
		statuses: itemStatuses, initialStatus: "PLANNING",
		attrs: []attr{
			keyAttr("itemnum", "Item"),
			keyAttr("itemsetid", "Item Set"),
			textAttr("description"),
			codeAttr("status"),
			statusDate,
			codeAttr("orderunit"),
			codeAttr("issueunit"),
			codeAttr("commoditygroup"),
			codeAttr("itemtype", "ITEM", "TOOL", "STDSERVICE"),
			boolAttr("rotating"),
			codeAttr("lottype", "NOLOT", "LOT"),
			changeByAttr,
			changeDate,
			uidAttr("itemid"),
		},
		fill: func(ch *change) *apiError {
			ch.setDefault("itemsetid", itemSetID)
			if ch.created() {
				ch.setDefault("orderunit", "EACH")
				ch.setDefault("issueunit", ch.rec["orderunit"])
				ch.setDefault("itemtype", "ITEM")
				ch.setDefault("rotating", false)
				ch.setDefault("lottype", "NOLOT")
			}
			return nil
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:          p.nItems,
				gen:        p.itemRecord,
				key:        func(i int) string { return joinKey(p.itemNum(i), itemSetID) },
				keyOrdered: true,
			}
		},
	}
	os.deleteRefusal = onlyDeletableIn(os, "PLANNING")
	return os
}

var itemConditions = weighted[string]{{"ACTIVE", 90}, {"PLANNING", 4}, {"PENDOBS", 3}, {"OBSOLETE", 3}}

func (p *plant) itemRecord(i int, changed int64) record {
	t, variant := p.item(i)
	r := newRNG(p.seed, streamItem, i)
	return record{
		"itemnum":        p.itemNum(i),
		"itemsetid":      itemSetID,
		"description":    t.name + " " + variant,
		"status":         itemConditions.pick(&r),
		"statusdate":     date(changed),
		"orderunit":      t.unit,
		"issueunit":      t.unit,
		"commoditygroup": t.group,
		"itemtype":       "ITEM",
		"rotating":       false,
		"lottype":        "NOLOT",
		"changeby":       "MXINTADM",
	}
}
