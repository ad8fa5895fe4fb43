package maximo

import (
	"strings"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	"github.com/millwright-dev/millwright/services/entity/internal/model"
)

// object is what the connector knows of one collection's object structure:
// its key, what it selects, its mapping both ways and how it is created.
type object struct {
	collection string
	os         string // object structure, mxapiwo
	noun       string // for messages: "work order"
	// keys are the attributes of the remote id, in its order.
	keys []string
	// filter is a condition every query of the collection has.
	filter string
	// sel is the oslc.select of every read: exactly what the mapping needs.
	sel string
	// money says the mapping needs the base currency.
	money bool
	// fill sets the unified record of a member.
	fill func(r *connectorv1.Record, m member, e *env)

	// Writes (see writes.go and writemap.go).
	write *writeSpec
}

func selectOf(attrs []string, children ...string) string {
	return strings.Join(append(append([]string(nil), attrs...), children...), ",")
}

var objectList = []*object{
	{
		collection: model.WorkOrders, os: "mxapiwo", noun: "work order", keys: []string{"siteid", "wonum"},
		sel: selectOf(woAttrs, "assignment{assignmentid,laborcode}"),
		fill: func(r *connectorv1.Record, m member, e *env) {
			r.Data = &connectorv1.Record_WorkOrder{WorkOrder: workOrderFrom(m, e)}
		},
		write: workOrderWrites,
	},
	{
		collection: model.Assets, os: "mxapiasset", noun: "asset", keys: []string{"siteid", "assetnum"},
		sel: selectOf(assetAttrs),
		fill: func(r *connectorv1.Record, m member, e *env) {
			r.Data = &connectorv1.Record_Asset{Asset: assetFrom(m, e)}
		},
		write: assetWrites,
	},
	{
		collection: model.Locations, os: "mxapioperloc", noun: "location", keys: []string{"siteid", "location"},
		sel: selectOf(locationAttrs, "lochierarchy{systemid,parent}"),
		fill: func(r *connectorv1.Record, m member, e *env) {
			r.Data = &connectorv1.Record_Location{Location: locationFrom(m, e)}
		},
	},
	{
		collection: model.Parts, os: "mxapiitem", noun: "item", keys: []string{"itemnum"},
		sel:  selectOf(itemAttrs),
		fill: func(r *connectorv1.Record, m member, e *env) { r.Data = &connectorv1.Record_Part{Part: partFrom(m, e)} },
	},
	{
		collection: model.InventoryLevels, os: "mxapiinventory", noun: "inventory record", keys: []string{"itemnum", "siteid", "location"},
		sel: selectOf(inventoryAttrs), money: true,
		fill: func(r *connectorv1.Record, m member, e *env) {
			r.Data = &connectorv1.Record_InventoryLevel{InventoryLevel: inventoryFrom(m, e)}
		},
	},
	{
		collection: model.PurchaseOrders, os: "mxapipo", noun: "purchase order", keys: []string{"siteid", "ponum"},
		sel: selectOf(poAttrs, "poline{"+strings.Join(poLineAttrs, ",")+"}"), money: true,
		fill: func(r *connectorv1.Record, m member, e *env) {
			r.Data = &connectorv1.Record_PurchaseOrder{PurchaseOrder: purchaseOrderFrom(m, e)}
		},
		write: purchaseOrderWrites,
	},
	{
		collection: model.Vendors, os: "mxapivendor", noun: "vendor", keys: []string{"company"}, filter: `type="V"`,
		sel: selectOf(vendorAttrs),
		fill: func(r *connectorv1.Record, m member, e *env) {
			r.Data = &connectorv1.Record_Vendor{Vendor: vendorFrom(m, e)}
		},
		write: vendorWrites,
	},
	{
		collection: model.Users, os: "mxapiperson", noun: "person", keys: []string{"personid"},
		sel:  selectOf(personAttrs),
		fill: func(r *connectorv1.Record, m member, e *env) { r.Data = &connectorv1.Record_User{User: userFrom(m, e)} },
	},
}

var objects = func() map[string]*object {
	out := map[string]*object{}
	for _, o := range objectList {
		out[o.collection] = o
	}
	return out
}()

// record maps a member, with its remote data (readMember), to a connector
// record.
func (o *object) record(m member, remote []byte, e *env) *connectorv1.Record {
	r := &connectorv1.Record{
		Collection:       o.collection,
		RemoteId:         o.remoteID(m),
		RemoteUpdateTime: m.time("changedate"),
		RemoteJson:       remote,
	}
	o.fill(r, m, e)
	return r
}

// remoteID is a member's remote id: its key values joined in key order.
func (o *object) remoteID(m member) string {
	if len(o.keys) == 2 {
		return joinKey(m.str(o.keys[0]), m.str(o.keys[1]))
	}
	parts := make([]string, len(o.keys))
	for i, k := range o.keys {
		parts[i] = m.str(k)
	}
	return joinKey(parts...)
}

// hasSite says the records belong to a site.
func (o *object) hasSite() bool {
	for _, k := range o.keys {
		if k == "siteid" {
			return true
		}
	}
	return false
}

// keyWhere is the oslc.where condition selecting the record of a remote id
// (the main key first, which Maximo resolves by index), or false when the
// id is not one of this collection's.
func (o *object) keyWhere(remoteID string) (string, []string, bool) {
	parts, ok := splitKey(remoteID, len(o.keys))
	if !ok {
		return "", nil, false
	}
	var main, rest []string
	for i, k := range o.keys {
		c := k + `="` + parts[i] + `"`
		if k == "siteid" {
			rest = append(rest, c)
		} else {
			main = append(main, c)
		}
	}
	conds := append(main, rest...)
	if o.filter != "" {
		conds = append(conds, o.filter)
	}
	return strings.Join(conds, " and "), parts, true
}

// matches reports whether a member's key is exactly parts ("=" in oslc.where
// ignores case and takes % as a wildcard).
func (o *object) matches(m member, parts []string) bool {
	for i, k := range o.keys {
		if m.str(k) != parts[i] {
			return false
		}
	}
	return true
}
