package maximo

import (
	"fmt"
	"strings"
)

// Companies: address2 holds the city, address3 the state or province,
// address4 the postal code and address5 the country, as in Maximo.
func companyStructure() *objectStructure {
	return &objectStructure{
		name: "mxapivendor", object: "COMPANIES", title: "Company",
		keys: []string{"company", "orgid"}, uid: "companiesid",
		attrs: []attr{
			keyAttr("company", "Company"),
			keyAttr("orgid", "Organization"),
			{name: "name", kind: text, flags: required, label: "Name"},
			codeAttr("type", "V", "M", "C", "I"),
			textAttr("address1"),
			textAttr("address2"),
			textAttr("address3"),
			textAttr("address4"),
			textAttr("address5"),
			textAttr("phone"),
			textAttr("fax"),
			textAttr("homepage"),
			codeAttr("currencycode"),
			codeAttr("paymentterms"),
			boolAttr("disabled"),
			changeByAttr,
			changeDate,
			uidAttr("companiesid"),
		},
		fill: func(ch *change) *apiError {
			ch.setDefault("orgid", orgID)
			if ch.created() {
				ch.setDefault("type", "V")
				ch.setDefault("currencycode", currency)
				ch.setDefault("disabled", false)
			}
			return nil
		},
		deleteRefusal: func(rec record) string {
			if rec["disabled"] != true {
				return "Company " + str(rec, "company") + " is not disabled; disable it before deleting."
			}
			return ""
		},
		seed: func(p *plant) seeding {
			return seeding{
				n:   len(p.companies),
				gen: p.companyRecord,
				key: func(i int) string { return joinKey(p.companies[i].code, orgID) },
			}
		},
	}
}

var streets = []string{"Industrial Pkwy", "Commerce Dr", "Harbor Rd", "Mill St", "Foundry Ave", "Enterprise Blvd"}

func (p *plant) companyRecord(i int, _ int64) record {
	c := p.companies[i]
	r := newRNG(p.seed, streamPlant, 100+i)
	typ := "V"
	if c.oem {
		typ = "M"
	}
	return record{
		"company":      c.code,
		"orgid":        orgID,
		"name":         c.name,
		"type":         typ,
		"address1":     fmt.Sprintf("%d %s", r.between(100, 9999), pick(&r, streets)),
		"address2":     c.city,
		"address3":     c.state,
		"address4":     c.zip,
		"address5":     "US",
		"phone":        c.phone,
		"homepage":     "www." + strings.ToLower(c.code) + ".example.com",
		"currencycode": currency,
		"paymentterms": pick(&r, []string{"NET30", "NET45", "NET60"}),
		"disabled":     false,
		"changeby":     "MXINTADM",
	}
}
