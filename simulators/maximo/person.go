package maximo

import "strings"

var personStatuses = map[string][]string{
	"ACTIVE":   {"INACTIVE"},
	"INACTIVE": {"ACTIVE"},
}

func personStructure() *objectStructure {
	os := &objectStructure{
		name: "mxapiperson", object: "PERSON", title: "Person",
		keys: []string{"personid"}, uid: "personuid",
		statuses: personStatuses, initialStatus: "ACTIVE",
		attrs: []attr{
			keyAttr("personid", "Person"),
			textAttr("firstname"),
			textAttr("lastname"),
			textAttr("displayname"),
			textAttr("primaryemail"),
			textAttr("primaryphone"),
			textAttr("title"),
			codeAttr("department"),
			codeAttr("status"),
			statusDate,
			codeAttr("locationsite"),
			codeAttr("locationorg"),
			refAttr("supervisor", "Supervisor", personRef),
			changeByAttr,
			changeDate,
			uidAttr("personuid"),
		},
		fill: func(ch *change) *apiError {
			if ch.rec["displayname"] == nil {
				if name := strings.TrimSpace(str(ch.rec, "firstname") + " " + str(ch.rec, "lastname")); name != "" {
					ch.rec["displayname"] = name
				}
			}
			return nil
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:   len(p.persons),
				gen: p.personRecord,
				key: func(i int) string { return p.persons[i].id },
			}
		},
	}
	os.deleteRefusal = onlyDeletableIn(os, "INACTIVE")
	return os
}

func (p *plant) personRecord(i int, changed int64) record {
	ps := p.persons[i]
	rec := record{
		"personid":     ps.id,
		"firstname":    ps.first,
		"lastname":     ps.last,
		"displayname":  ps.first + " " + ps.last,
		"primaryemail": strings.ToLower(ps.first[:1]+ps.id) + "@" + mailHost,
		"primaryphone": ps.phone,
		"title":        ps.title.title,
		"department":   ps.title.department,
		"status":       ps.status,
		"statusdate":   date(changed),
		"locationsite": p.siteID(ps.site),
		"locationorg":  orgID,
		"changeby":     "MXINTADM",
	}
	if i > 0 {
		rec["supervisor"] = p.persons[0].id
	}
	return rec
}
