package maximo

import "fmt"

var assetStatuses = map[string][]string{
	"NOT READY":      {"OPERATING", "BROKEN", "DECOMMISSIONED"},
	"OPERATING":      {"NOT READY", "BROKEN", "DECOMMISSIONED"},
	"BROKEN":         {"OPERATING", "NOT READY", "DECOMMISSIONED"},
	"DECOMMISSIONED": nil,
}

var parentAssetRef = &reference{os: "mxapiasset", scope: []string{"siteid"}, err: func(v, _ string) *apiError {
	return badRequest(codeBadAsset, "Asset %s is not a valid asset, or its status is not an operating status.", v)
}}

func assetStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapiasset", object: "ASSET", title: "Asset",
		keys: []string{"assetnum", "siteid"}, uid: "assetuid", autokey: "assetnum",
		statuses: assetStatuses, initialStatus: "NOT READY",
		attrs: []attr{
			keyAttr("assetnum", "Asset"),
			siteAttr,
			orgAttr,
			textAttr("description"),
			codeAttr("assettype"),
			codeAttr("status"),
			statusDate,
			refAttr("location", "Location", locationRef),
			refAttr("parent", "Parent", parentAssetRef),
			intAttr("priority"),
			refAttr("manufacturer", "Manufacturer", companyRef),
			refAttr("vendor", "Vendor", companyRef),
			textAttr("serialnum"),
			dateAttr("installdate"),
			decimalAttr("purchaseprice"),
			systemAttr("isrunning", boolean),
			changeByAttr,
			changeDate,
			uidAttr("assetuid"),
		},
		check: func(ch *change) *apiError {
			if p := str(ch.rec, "parent"); p != "" && p == str(ch.rec, "assetnum") {
				return badRequest(codeBadAsset, "Asset %s cannot be its own parent.", p)
			}
			ch.rec["isrunning"] = str(ch.rec, "status") == "OPERATING"
			return nil
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:          p.nAssets,
				gen:        p.assetRecord,
				key:        func(j int) string { return joinKey(p.assetNum(j), p.siteID(p.asset(j).site)) },
				keyOrdered: true,
			}
		},
	}
	os.deleteRefusal = onlyDeletableIn(os, "NOT READY")
	return os
}

var assetConditions = weighted[string]{{"OPERATING", 85}, {"NOT READY", 5}, {"BROKEN", 5}, {"DECOMMISSIONED", 5}}

// assetRecord generates seeded asset j, last changed at changed.
func (p *plant) assetRecord(j int, changed int64) record {
	a := p.asset(j)
	r := newRNG(p.seed, streamAssetDetail, j)
	status := assetConditions.pick(&r)
	installed := p.date(int64(r.between(2*365, 15*365)) * day)
	rec := record{
		"assetnum":      p.assetNum(j),
		"siteid":        p.siteID(a.site),
		"orgid":         orgID,
		"description":   a.description(),
		"assettype":     a.kind.assetType,
		"status":        status,
		"statusdate":    date(changed - int64(r.intn(int(30*day)))),
		"location":      p.locs[a.loc].name,
		"priority":      int64(r.between(1, 5)),
		"serialnum":     fmt.Sprintf("%s%08d", a.kind.tag, r.intn(1e8)),
		"installdate":   date(installed),
		"purchaseprice": float64(r.between(20, 900)) * 100,
		"isrunning":     status == "OPERATING",
		"changeby":      "MXINTADM",
	}
	if a.role > 0 {
		rec["parent"] = p.assetNum(a.group * 4)
		rec["purchaseprice"] = float64(r.between(5, 90)) * 100
	}
	if len(p.oems) > 0 {
		rec["manufacturer"] = p.companyCode(p.oems[a.kindIndex%len(p.oems)])
	}
	if len(p.vendors) > 0 {
		rec["vendor"] = p.companyCode(pick(&r, p.vendors))
	}
	return rec
}
