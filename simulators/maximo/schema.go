package maximo

import (
	"slices"
	"strings"
)

// record is one resource: attribute values by lean JSON name. Values are
// string, int64, float64, bool, date, or []record for child objects; an
// absent attribute is null.
type record = map[string]any

// kind is the Maximo data type of an attribute.
type kind uint8

const (
	text kind = iota
	integer
	decimal
	boolean
	datetime
	rows
)

func (k kind) String() string {
	return [...]string{"ALN", "INTEGER", "DECIMAL", "YORN", "DATETIME", "OBJECT"}[k]
}

type attrFlag uint8

const (
	key      attrFlag = 1 << iota // identifies the record; set on create, never changed
	required                      // must have a value
	readOnly                      // set by the system only
	upper                         // upper-case text, as Maximo stores codes
)

// reference says an attribute names a record of another object structure.
type reference struct {
	os    string            // object structure referred to
	scope []string          // attributes completing the key after the value (siteid, orgid ...)
	ok    func(record) bool // extra condition on the referred record, nil for none
	err   func(value, scope string) *apiError
}

type attr struct {
	name   string
	kind   kind
	flags  attrFlag
	label  string // field label used in messages; the upper-case name by default
	domain []string
	ref    *reference
	child  *childObject
}

func (a *attr) is(f attrFlag) bool { return a.flags&f != 0 }

func (a *attr) title() string {
	if a.label != "" {
		return a.label
	}
	return strings.ToUpper(a.name)
}

// childObject describes the rows of a child object such as POLINE.
type childObject struct {
	object string // Maximo object name, for messages
	key    string // attribute identifying a row within its parent
	attrs  []attr
}

func (c *childObject) attr(name string) *attr { return findAttr(c.attrs, name) }

func findAttr(attrs []attr, name string) *attr {
	for i := range attrs {
		if attrs[i].name == name {
			return &attrs[i]
		}
	}
	return nil
}

// objectStructure describes one object structure: its schema, how its
// records are seeded, and the business rules that are its own.
type objectStructure struct {
	name   string // mxapiwo
	alias  string // a second name answering the same collection, if any
	object string // main Maximo object, WORKORDER
	title  string // how a record is named in messages, "Work Order"
	keys   []string
	uid    string // unique numeric id attribute, workorderid
	attrs  []attr

	// autokey names the key attribute numbered by the system when a create omits it.
	autokey string
	// statuses maps each status to the statuses it may change to; nil when the
	// object has no status.
	statuses      map[string][]string
	initialStatus string
	// onStatus applies the side effects of a status change.
	onStatus func(ch *change, from, to string)
	// fill sets defaults before validation; check validates and computes after.
	fill  func(ch *change) *apiError
	check func(ch *change) *apiError
	// deleteRefusal explains why rec cannot be deleted, or is empty.
	deleteRefusal func(rec record) string
	actions       map[string]action
	seed          func(p *plant) seeding
}

// seeding generates the seeded records of an object structure.
type seeding struct {
	n   int
	gen func(i int, changed int64) record // attributes other than uid, changedate and _rowstamp
	key func(i int) string                // sort key of record i, cheaper than gen
	// keyOrdered says key(i) increases with i, so no key index is needed.
	keyOrdered bool
}

type action func(ch *change, body record) *apiError

func (os *objectStructure) attr(name string) *attr { return findAttr(os.attrs, name) }

// sortKey joins the key values of rec; records sort by it in key order.
func (os *objectStructure) sortKey(rec record) string {
	vals := make([]string, len(os.keys))
	for i, k := range os.keys {
		vals[i], _ = rec[k].(string)
	}
	return joinKey(vals...)
}

func joinKey(vals ...string) string { return strings.Join(vals, "\x00") }

// keyLabel describes rec's key the way Maximo does in messages: "Site=DAYTON Work Order=1001".
func (os *objectStructure) keyLabel(rec record) string {
	parts := make([]string, 0, len(os.keys))
	for _, k := range slices.Backward(os.keys) {
		parts = append(parts, os.attr(k).title()+"="+str(rec, k))
	}
	return strings.Join(parts, " ")
}

// keyValue is the record's main key value, "1001" for a work order.
func (os *objectStructure) keyValue(rec record) string { return str(rec, os.keys[0]) }

func str(rec record, name string) string {
	s, _ := rec[name].(string)
	return s
}

func num(rec record, name string) float64 {
	switch v := rec[name].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

// onlyDeletableIn refuses deletion outside the given statuses.
func onlyDeletableIn(os *objectStructure, statuses ...string) func(record) string {
	return func(rec record) string {
		if st := str(rec, "status"); !slices.Contains(statuses, st) {
			return os.title + " " + os.keyValue(rec) + " is in status " + st + "; only records in status " +
				strings.Join(statuses, ", ") + " can be deleted."
		}
		return ""
	}
}

// Attribute shorthands for the schemas.
func keyAttr(name, label string) attr {
	return attr{name: name, kind: text, flags: key | upper | required, label: label}
}
func codeAttr(name string, domain ...string) attr {
	return attr{name: name, kind: text, flags: upper, domain: domain}
}
func textAttr(name string) attr           { return attr{name: name, kind: text} }
func intAttr(name string) attr            { return attr{name: name, kind: integer} }
func decimalAttr(name string) attr        { return attr{name: name, kind: decimal} }
func boolAttr(name string) attr           { return attr{name: name, kind: boolean} }
func dateAttr(name string) attr           { return attr{name: name, kind: datetime} }
func systemAttr(name string, k kind) attr { return attr{name: name, kind: k, flags: readOnly} }
func uidAttr(name string) attr            { return systemAttr(name, integer) }

func refAttr(name, label string, ref *reference) attr {
	return attr{name: name, kind: text, flags: upper, label: label, ref: ref}
}

// Common attributes.
var (
	siteAttr     = keyAttr("siteid", "Site")
	orgAttr      = codeAttr("orgid")
	statusDate   = systemAttr("statusdate", datetime)
	changeByAttr = systemAttr("changeby", text)
	changeDate   = systemAttr("changedate", datetime)
)

// References shared by several object structures.
var (
	locationRef = &reference{os: "mxapioperloc", scope: []string{"siteid"}, err: func(v, _ string) *apiError {
		return badRequest(codeBadLocation, "Location %s is not a valid location.", v)
	}}
	storeroomRef = &reference{os: "mxapioperloc", scope: []string{"siteid"},
		ok: func(rec record) bool { return str(rec, "type") == "STOREROOM" },
		err: func(v, site string) *apiError {
			return badRequest(codeBadStoreroom, "Storeroom %s is not a valid storeroom for site %s.", v, site)
		}}
	assetRef = &reference{os: "mxapiasset", scope: []string{"siteid"},
		ok: func(rec record) bool { return str(rec, "status") != "DECOMMISSIONED" },
		err: func(v, _ string) *apiError {
			return badRequest(codeBadAsset, "Asset %s is not a valid asset, or its status is not an operating status.", v)
		}}
	personRef = &reference{os: "mxapiperson", err: func(v, _ string) *apiError {
		return badRequest(codeBadPerson, "Person %s is not a valid person.", v)
	}}
	companyRef = &reference{os: "mxapivendor", scope: []string{"orgid"}, err: func(v, _ string) *apiError {
		return badRequest(codeBadCompany, "Company %s is not a valid company.", v)
	}}
	vendorRef = &reference{os: "mxapivendor", scope: []string{"orgid"},
		ok: func(rec record) bool { return str(rec, "type") == "V" && rec["disabled"] != true },
		err: func(v, _ string) *apiError {
			return badRequest(codeBadCompany, "Company %s is not a valid vendor, or it is disabled.", v)
		}}
	itemRef = &reference{os: "mxapiitem", scope: []string{"itemsetid"},
		ok: func(rec record) bool { return str(rec, "status") != "OBSOLETE" },
		err: func(v, _ string) *apiError {
			return badRequest(codeBadItem, "Item %s is not a valid item, or it is obsolete.", v)
		}}
)
