// Package model describes the unified model's collections once, so that
// reads, writes and syncs are written once for all of them: each collection
// names its proto type, its id prefix, its place in a connector Record, its
// status enum, and the fields that link to other collections.
package model

import (
	"crypto/sha256"
	"encoding/base32"
	"sort"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectorv1 "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// The collections' names, as in the REST paths.
const (
	WorkOrders      = "workOrders"
	Assets          = "assets"
	Locations       = "locations"
	Parts           = "parts"
	InventoryLevels = "inventoryLevels"
	PurchaseOrders  = "purchaseOrders"
	Vendors         = "vendors"
	Users           = "users"
)

// Ref is a field that links to another collection. Path is a field name, or
// "line_items.part_id" for a field of a repeated message.
type Ref struct {
	Path   string
	Target string
}

// Collection describes one collection.
type Collection struct {
	Name   string
	Prefix string
	// Oneof is the field of connector.v1.Record that holds it.
	Oneof protoreflect.Name
	// Type is the collection's proto message type.
	Type protoreflect.MessageType
	Refs []Ref
	// Statuses are the names of the status enum's values; nil when the
	// collection has no status.
	Statuses []string
}

var collections = []Collection{
	{Name: WorkOrders, Prefix: "wo", Oneof: "work_order", Type: (&entityv1.WorkOrder{}).ProtoReflect().Type(),
		Refs: []Ref{{"asset_id", Assets}, {"location_id", Locations}, {"assignee_ids", Users}, {"parent_id", WorkOrders}}},
	{Name: Assets, Prefix: "ast", Oneof: "asset", Type: (&entityv1.Asset{}).ProtoReflect().Type(),
		Refs: []Ref{{"location_id", Locations}, {"parent_id", Assets}, {"vendor_id", Vendors}}},
	{Name: Locations, Prefix: "loc", Oneof: "location", Type: (&entityv1.Location{}).ProtoReflect().Type(),
		Refs: []Ref{{"parent_id", Locations}}},
	{Name: Parts, Prefix: "part", Oneof: "part", Type: (&entityv1.Part{}).ProtoReflect().Type()},
	{Name: InventoryLevels, Prefix: "inv", Oneof: "inventory_level", Type: (&entityv1.InventoryLevel{}).ProtoReflect().Type(),
		Refs: []Ref{{"part_id", Parts}, {"location_id", Locations}}},
	{Name: PurchaseOrders, Prefix: "po", Oneof: "purchase_order", Type: (&entityv1.PurchaseOrder{}).ProtoReflect().Type(),
		Refs: []Ref{{"vendor_id", Vendors}, {"ship_to_location_id", Locations}, {"line_items.part_id", Parts}}},
	{Name: Vendors, Prefix: "ven", Oneof: "vendor", Type: (&entityv1.Vendor{}).ProtoReflect().Type()},
	{Name: Users, Prefix: "usr", Oneof: "user", Type: (&entityv1.User{}).ProtoReflect().Type()},
}

var byName = map[string]*Collection{}

func init() {
	for i := range collections {
		c := &collections[i]
		if f := c.Type.Descriptor().Fields().ByName("status"); f != nil && f.Enum() != nil {
			vals := f.Enum().Values()
			for j := 1; j < vals.Len(); j++ {
				c.Statuses = append(c.Statuses, string(vals.Get(j).Name()))
			}
		}
		byName[c.Name] = c
	}
}

// All returns every collection, in the API's order.
func All() []*Collection {
	out := make([]*Collection, len(collections))
	for i := range collections {
		out[i] = &collections[i]
	}
	return out
}

// ByName returns a collection.
func ByName(name string) (*Collection, bool) {
	c, ok := byName[name]
	return c, ok
}

// Names returns every collection's name, sorted.
func Names() []string {
	out := make([]string, 0, len(collections))
	for _, c := range collections {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// ID is Millwright's id of a record: derived from its connection, collection
// and the system's key, so it is stable across syncs and a link to a record
// not yet synced already has its final id.
func (c *Collection) ID(connection, remoteID string) string {
	sum := sha256.Sum256([]byte(connection + "\x00" + c.Name + "\x00" + remoteID))
	return c.Prefix + "_" + idEncoding.EncodeToString(sum[:16])
}

// New returns an empty message of the collection.
func (c *Collection) New() proto.Message {
	return c.Type.New().Interface()
}

// FromRecord returns the unified message a connector record holds, or nil
// when it holds another collection's.
func (c *Collection) FromRecord(r *connectorv1.Record) proto.Message {
	m := r.ProtoReflect()
	f := m.Descriptor().Fields().ByName(c.Oneof)
	if !m.Has(f) {
		return nil
	}
	return m.Get(f).Message().Interface()
}

// ToRecord wraps a unified message in a connector record.
func (c *Collection) ToRecord(msg proto.Message) *connectorv1.Record {
	r := &connectorv1.Record{Collection: c.Name}
	m := r.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName(c.Oneof), protoreflect.ValueOfMessage(msg.ProtoReflect()))
	return r
}

// Status returns the name of a message's status, or "".
func (c *Collection) Status(msg proto.Message) string {
	if c.Statuses == nil {
		return ""
	}
	m := msg.ProtoReflect()
	f := m.Descriptor().Fields().ByName("status")
	n := m.Get(f).Enum()
	if n == 0 {
		return ""
	}
	if v := f.Enum().Values().ByNumber(n); v != nil {
		return string(v.Name())
	}
	return ""
}
