package maximo

import (
	"slices"
	"strconv"
	"strings"
)

var woStatuses = map[string][]string{
	"WAPPR": {"APPR", "INPRG", "WMATL", "COMP", "CLOSE", "CAN"},
	"APPR":  {"WAPPR", "INPRG", "WMATL", "COMP", "CLOSE", "CAN"},
	"WMATL": {"APPR", "INPRG", "COMP", "CLOSE", "CAN"},
	"INPRG": {"WMATL", "COMP", "CLOSE"},
	"COMP":  {"CLOSE"},
	"CLOSE": nil,
	"CAN":   nil,
}

var parentWORef = &reference{os: "mxapiwo", scope: []string{"siteid"}, err: func(v, _ string) *apiError {
	return badRequest(codeBadParent, "Work order %s is not a valid parent work order.", v)
}}

var assignmentObject = &childObject{object: "ASSIGNMENT", key: "assignmentid", attrs: []attr{
	intAttr("assignmentid"),
	refAttr("laborcode", "Labor", personRef),
	codeAttr("craft"),
	decimalAttr("laborhrs"),
	dateAttr("scheduledate"),
	codeAttr("status", "ASSIGNED", "STARTED", "COMPLETE", "WAITASGN"),
}}

func workOrderStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapiwo", object: "WORKORDER", title: "Work Order",
		keys: []string{"wonum", "siteid"}, uid: "workorderid", autokey: "wonum",
		statuses: woStatuses, initialStatus: "WAPPR",
		attrs: []attr{
			keyAttr("wonum", "Work Order"),
			siteAttr,
			orgAttr,
			{name: "description", kind: text, flags: required, label: "Description"},
			textAttr("description_longdescription"),
			codeAttr("status"),
			statusDate,
			codeAttr("worktype", "CM", "PM", "EM", "CP"),
			intAttr("wopriority"),
			refAttr("assetnum", "Asset", assetRef),
			refAttr("location", "Location", locationRef),
			refAttr("parent", "Parent WO", parentWORef),
			refAttr("lead", "Lead", personRef),
			codeAttr("reportedby"),
			dateAttr("reportdate"),
			dateAttr("schedstart"),
			dateAttr("schedfinish"),
			dateAttr("targcompdate"),
			dateAttr("actstart"),
			dateAttr("actfinish"),
			decimalAttr("estdur"),
			decimalAttr("actlabhrs"),
			systemAttr("woclass", text),
			systemAttr("historyflag", boolean),
			changeByAttr,
			changeDate,
			uidAttr("workorderid"),
			{name: "assignment", kind: rows, child: assignmentObject},
		},
		onStatus: func(ch *change, _, to string) {
			now := date(ch.now)
			switch to {
			case "INPRG":
				ch.setDefault("actstart", now)
			case "COMP", "CLOSE":
				ch.setDefault("actstart", now)
				ch.setDefault("actfinish", now)
			}
		},
		fill: func(ch *change) *apiError {
			if ch.created() {
				ch.setDefault("reportdate", date(ch.now))
				ch.setDefault("reportedby", ch.user)
				ch.rec["woclass"] = "WORKORDER"
			}
			if ch.changed("assetnum") && str(ch.rec, "assetnum") != "" && str(ch.rec, "location") == "" {
				if a, ok := ch.lookup("mxapiasset", str(ch.rec, "assetnum"), str(ch.rec, "siteid")); ok {
					ch.rec["location"] = a["location"]
				}
			}
			for _, row := range rowsOf(ch.rec, "assignment") {
				setDefault(row, "status", "ASSIGNED")
			}
			return nil
		},
		check: func(ch *change) *apiError {
			if p := str(ch.rec, "parent"); p != "" && p == str(ch.rec, "wonum") {
				return badRequest(codeBadParent, "Work order %s cannot be its own parent.", p)
			}
			ch.rec["historyflag"] = slices.Contains([]string{"CLOSE", "CAN"}, str(ch.rec, "status"))
			return nil
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:          p.nWorkOrders,
				gen:        p.workOrder,
				key:        func(i int) string { return joinKey(p.woNum(i), p.siteID(p.woPlace(i).site)) },
				keyOrdered: true,
			}
		},
	}
	os.deleteRefusal = onlyDeletableIn(os, "WAPPR")
	return os
}

func (p *plant) woNum(i int) string { return strconv.Itoa(p.woBase + i) }

// woPlace is where seeded work order i is done: on an asset most of the
// time, otherwise on an operating location.
type woPlace struct {
	site, loc int
	asset     *assetInfo
}

func (p *plant) woPlace(i int) woPlace {
	r := newRNG(p.seed, streamWorkOrderPlace, i)
	if p.nAssets > 0 && r.chance(0.85) {
		a := p.asset(r.intn(p.nAssets))
		return woPlace{site: a.site, loc: a.loc, asset: &a}
	}
	s := r.intn(len(p.sites))
	return woPlace{site: s, loc: pick(&r, p.leaves[s])}
}

var workTypes = weighted[string]{{"PM", 40}, {"CM", 45}, {"EM", 8}, {"CP", 7}}

// woHours is the typical estimate of each work type, in hours.
var woHours = map[string]float64{"PM": 2, "CM": 4, "EM": 6, "CP": 40}

// woStatus picks a status by age (0 newest, 1 oldest): recent work is open,
// old work is closed.
func woStatus(r *rng, age float64) string {
	switch {
	case age < 0.1:
		return weighted[string]{{"WAPPR", 30}, {"APPR", 30}, {"INPRG", 25}, {"WMATL", 10}, {"COMP", 5}}.pick(r)
	case age < 0.25:
		return weighted[string]{{"WAPPR", 5}, {"APPR", 10}, {"INPRG", 10}, {"WMATL", 5}, {"COMP", 35}, {"CLOSE", 30}, {"CAN", 5}}.pick(r)
	}
	return weighted[string]{{"CLOSE", 85}, {"CAN", 8}, {"COMP", 7}}.pick(r)
}

// workOrder generates seeded work order i, last changed at changed; its
// other dates are worked out backwards from that change.
func (p *plant) workOrder(i int, changed int64) record {
	place := p.woPlace(i)
	r := newRNG(p.seed, streamWorkOrder, i)
	status := woStatus(&r, float64(p.nWorkOrders-1-i)/float64(p.nWorkOrders))
	wt := workTypes.pick(&r)
	subject := p.locs[place.loc].description
	if place.asset != nil {
		subject = place.asset.description()
	}
	est := woHours[wt] * float64(r.between(2, 8)) / 4

	rec := make(record, 36)
	rec["wonum"] = p.woNum(i)
	rec["siteid"] = p.siteID(place.site)
	rec["orgid"] = orgID
	rec["description"] = strings.Replace(pick(&r, taskTemplates[wt]), "%s", subject, 1)
	if r.chance(0.6) {
		rec["description_longdescription"] = pick(&r, longDescriptions)
	}
	rec["status"] = status
	rec["statusdate"] = date(changed)
	rec["worktype"] = wt
	rec["wopriority"] = int64(r.between(1, 5))
	if place.asset != nil {
		rec["assetnum"] = p.assetNum(place.asset.j)
	}
	rec["location"] = p.locs[place.loc].name
	rec["estdur"] = est
	rec["woclass"] = "WORKORDER"
	rec["historyflag"] = status == "CLOSE" || status == "CAN"
	rec["changeby"] = "MXINTADM"

	var report, sched int64
	switch status {
	case "CLOSE", "COMP":
		finish := changed - int64(r.intn(int(2*hour)))
		if status == "CLOSE" {
			finish = changed - int64(r.between(1, 5))*day
		}
		labor := est * float64(r.between(3, 6)) / 4
		start := finish - int64(labor*float64(hour)) - int64(r.intn(int(4*hour)))
		sched = start - int64(r.intn(int(2*day)))
		report = sched - int64(r.between(1, 14))*day
		rec["actstart"], rec["actfinish"], rec["actlabhrs"] = date(start), date(finish), labor
	case "CAN":
		report = changed - int64(r.between(1, 30))*day
		sched = report + int64(r.between(1, 14))*day
	default:
		report = changed - int64(r.intn(int(20*day)))
		sched = report + int64(r.between(1, 21))*day
		if status == "INPRG" {
			rec["actstart"] = date(changed - int64(r.intn(int(8*hour))))
			rec["actlabhrs"] = est / 2
		}
	}
	rec["reportdate"] = date(report)
	rec["schedstart"] = date(sched)
	rec["schedfinish"] = date(sched + int64(est*float64(hour)))
	rec["targcompdate"] = date(sched + int64(r.between(3, 14))*day)

	if len(p.leads) > 0 {
		lead := p.persons[pick(&r, p.leads)]
		rec["lead"] = lead.id
		rec["reportedby"] = p.persons[r.intn(len(p.persons))].id
		if status != "CAN" {
			rows := []record{p.assignment(i, 0, lead, est, sched, status)}
			if r.chance(0.3) {
				rows = append(rows, p.assignment(i, 1, p.persons[pick(&r, p.leads)], est, sched, status))
			}
			rec["assignment"] = rows
		}
	}
	if i%10 == 9 {
		if parent := i - 1 - r.intn(min(i, 5)); p.woPlace(parent).site == place.site {
			rec["parent"] = p.woNum(parent)
		}
	}
	return rec
}

func (p *plant) assignment(wo, k int, who person, hours float64, sched int64, woStatus string) record {
	status := "ASSIGNED"
	switch woStatus {
	case "INPRG":
		status = "STARTED"
	case "COMP", "CLOSE":
		status = "COMPLETE"
	}
	return record{
		"assignmentid": int64(wo*2 + k + 1),
		"laborcode":    who.id,
		"craft":        who.title.craft,
		"laborhrs":     hours,
		"scheduledate": date(sched),
		"status":       status,
	}
}
