package millwright

import (
	"context"
	"fmt"
	"iter"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

// ListOption narrows or shapes a listing. An option the collection does
// not support (a filter on events, say) fails the listing with
// INVALID_ARGUMENT rather than being ignored.
type ListOption func(*listOptions)

type listOptions struct {
	fields map[protoreflect.Name]protoreflect.Value
	order  []protoreflect.Name
}

func (o *listOptions) set(name protoreflect.Name, v protoreflect.Value) {
	if o.fields == nil {
		o.fields = map[protoreflect.Name]protoreflect.Value{}
	}
	if _, ok := o.fields[name]; !ok {
		o.order = append(o.order, name)
	}
	o.fields[name] = v
}

// WithFilter filters records (AIP-160 subset), e.g.
// `status = "OPEN" AND update_time > "2026-01-01T00:00:00Z"`.
func WithFilter(filter string) ListOption {
	return func(o *listOptions) { o.set("filter", protoreflect.ValueOfString(filter)) }
}

// WithPageSize sets how many items each page fetches (the server caps it).
func WithPageSize(n int32) ListOption {
	return func(o *listOptions) { o.set("page_size", protoreflect.ValueOfInt32(n)) }
}

// WithView asks for BASIC or FULL records (FULL adds remote_data).
func WithView(v entityv1.View) ListOption {
	return func(o *listOptions) { o.set("view", protoreflect.ValueOfEnum(protoreflect.EnumNumber(v))) }
}

// WithConsistency reads the synced store (STORED, the default) or the
// connected system itself (LIVE).
func WithConsistency(c entityv1.Consistency) ListOption {
	return func(o *listOptions) { o.set("consistency", protoreflect.ValueOfEnum(protoreflect.EnumNumber(c))) }
}

// WithOrderBy orders records: "create_time" (default) or "update_time",
// either with " desc".
func WithOrderBy(orderBy string) ListOption {
	return func(o *listOptions) { o.set("order_by", protoreflect.ValueOfString(orderBy)) }
}

// WithShowDeleted includes records deleted in the connected system.
func WithShowDeleted() ListOption {
	return func(o *listOptions) { o.set("show_deleted", protoreflect.ValueOfBool(true)) }
}

// WithEventType lists only events of one type (Events).
func WithEventType(t string) ListOption {
	return func(o *listOptions) { o.set("type", protoreflect.ValueOfString(t)) }
}

// WithConnection lists only events of one connection (Events).
func WithConnection(id string) ListOption {
	return func(o *listOptions) { o.set("connection", protoreflect.ValueOfString(id)) }
}

// WithSystem lists only connections to one system (AllConnections).
func WithSystem(system string) ListOption {
	return func(o *listOptions) { o.set("system", protoreflect.ValueOfString(system)) }
}

// pageResponse is what every List response has.
type pageResponse interface {
	proto.Message
	GetNextPageToken() string
}

// pages lists a collection lazily, one page per call as the loop needs
// it: list is the generated List method, items reads a page's items. The
// request is built from opts by field name, so one pager serves every
// collection. An error ends the sequence after being yielded once.
func pages[R any, Req interface {
	*R
	proto.Message
}, Resp pageResponse, T any](
	ctx context.Context,
	list func(context.Context, Req, ...grpc.CallOption) (Resp, error),
	items func(Resp) []T,
	opts []ListOption,
	fixed ...ListOption,
) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var o listOptions
		for _, f := range append(opts, fixed...) {
			f(&o)
		}
		req := Req(new(R))
		msg := req.ProtoReflect()
		fields := msg.Descriptor().Fields()
		for _, name := range o.order {
			f := fields.ByName(name)
			if f == nil {
				yield(zero, &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidArgument,
					Message: fmt.Sprintf("%s does not take %s", msg.Descriptor().Name(), name)})
				return
			}
			msg.Set(f, o.fields[name])
		}
		token := fields.ByName("page_token")
		for {
			resp, err := list(ctx, req)
			if err != nil {
				yield(zero, toError(err, nil))
				return
			}
			for _, it := range items(resp) {
				if !yield(it, nil) {
					return
				}
			}
			next := resp.GetNextPageToken()
			if next == "" {
				return
			}
			msg.Set(token, protoreflect.ValueOfString(next))
		}
	}
}

func conn(id string) ListOption { return WithConnection(id) }

// WorkOrders lists a connection's work orders.
func (c *Client) WorkOrders(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.WorkOrder, error] {
	return pages(ctx, c.Entities.ListWorkOrders, (*entityv1.ListWorkOrdersResponse).GetWorkOrders, opts, conn(connection))
}

// Assets lists a connection's assets.
func (c *Client) Assets(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.Asset, error] {
	return pages(ctx, c.Entities.ListAssets, (*entityv1.ListAssetsResponse).GetAssets, opts, conn(connection))
}

// Locations lists a connection's locations.
func (c *Client) Locations(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.Location, error] {
	return pages(ctx, c.Entities.ListLocations, (*entityv1.ListLocationsResponse).GetLocations, opts, conn(connection))
}

// Parts lists a connection's parts.
func (c *Client) Parts(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.Part, error] {
	return pages(ctx, c.Entities.ListParts, (*entityv1.ListPartsResponse).GetParts, opts, conn(connection))
}

// InventoryLevels lists a connection's inventory levels.
func (c *Client) InventoryLevels(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.InventoryLevel, error] {
	return pages(ctx, c.Entities.ListInventoryLevels, (*entityv1.ListInventoryLevelsResponse).GetInventoryLevels, opts, conn(connection))
}

// PurchaseOrders lists a connection's purchase orders.
func (c *Client) PurchaseOrders(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.PurchaseOrder, error] {
	return pages(ctx, c.Entities.ListPurchaseOrders, (*entityv1.ListPurchaseOrdersResponse).GetPurchaseOrders, opts, conn(connection))
}

// Vendors lists a connection's vendors.
func (c *Client) Vendors(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.Vendor, error] {
	return pages(ctx, c.Entities.ListVendors, (*entityv1.ListVendorsResponse).GetVendors, opts, conn(connection))
}

// Users lists a connection's users.
func (c *Client) Users(ctx context.Context, connection string, opts ...ListOption) iter.Seq2[*entityv1.User, error] {
	return pages(ctx, c.Entities.ListUsers, (*entityv1.ListUsersResponse).GetUsers, opts, conn(connection))
}

// AllConnections lists the account's connections. (c.Connections is the
// ConnectionService client, hence the name.)
func (c *Client) AllConnections(ctx context.Context, opts ...ListOption) iter.Seq2[*connectionv1.Connection, error] {
	return pages(ctx, c.Connections.ListConnections, (*connectionv1.ListConnectionsResponse).GetConnections, opts)
}

// Events lists the account's events.
func (c *Client) Events(ctx context.Context, opts ...ListOption) iter.Seq2[*connectionv1.Event, error] {
	return pages(ctx, c.Connections.ListEvents, (*connectionv1.ListEventsResponse).GetEvents, opts)
}
