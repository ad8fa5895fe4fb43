package maximo

var locationStatuses = map[string][]string{
	"NOT READY":      {"OPERATING", "DECOMMISSIONED"},
	"OPERATING":      {"NOT READY", "DECOMMISSIONED"},
	"DECOMMISSIONED": nil,
}

// The location hierarchy is given, as in Maximo, by LOCHIERARCHY rows: one
// per hierarchy system, naming the parent location in that system.
var locHierarchyObject = &childObject{object: "LOCHIERARCHY", key: "systemid", attrs: []attr{
	codeAttr("systemid"),
	refAttr("parent", "Parent", locationRef),
}}

func locationStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapioperloc", alias: "mxapilocation", object: "LOCATIONS", title: "Location",
		keys: []string{"location", "siteid"}, uid: "locationsid",
		statuses: locationStatuses, initialStatus: "NOT READY",
		attrs: []attr{
			keyAttr("location", "Location"),
			siteAttr,
			orgAttr,
			textAttr("description"),
			codeAttr("type", "OPERATING", "STOREROOM", "REPAIR", "SALVAGE", "VENDOR", "COURIER", "LABOR", "HOLDING"),
			codeAttr("status"),
			statusDate,
			{name: "lochierarchy", kind: rows, child: locHierarchyObject},
			changeByAttr,
			changeDate,
			uidAttr("locationsid"),
		},
		fill: func(ch *change) *apiError {
			ch.setDefault("type", "OPERATING")
			for _, row := range rowsOf(ch.rec, "lochierarchy") {
				setDefault(row, "systemid", "PRIMARY")
			}
			return nil
		},
		check: func(ch *change) *apiError {
			for _, row := range rowsOf(ch.rec, "lochierarchy") {
				if p := str(row, "parent"); p != "" && p == str(ch.rec, "location") {
					return badRequest(codeBadLocation, "Location %s cannot be its own parent.", p)
				}
			}
			return nil
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:   len(p.locs),
				gen: p.locationRecord,
				key: func(i int) string { return joinKey(p.locs[i].name, p.siteID(p.locs[i].site)) },
			}
		},
	}
	os.deleteRefusal = onlyDeletableIn(os, "NOT READY")
	return os
}

func (p *plant) locationRecord(i int, changed int64) record {
	l := p.locs[i]
	rec := record{
		"location":    l.name,
		"siteid":      p.siteID(l.site),
		"orgid":       orgID,
		"description": l.description,
		"type":        l.typ,
		"status":      "OPERATING",
		"statusdate":  date(changed),
		"changeby":    "MXINTADM",
	}
	if l.typ == "OPERATING" {
		row := record{"systemid": "PRIMARY"}
		if l.parent != "" {
			row["parent"] = l.parent
		}
		rec["lochierarchy"] = []record{row}
	}
	return rec
}
