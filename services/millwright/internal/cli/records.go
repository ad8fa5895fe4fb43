package cli

import (
	"context"
	"flag"
	"reflect"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

func init() {
	registerAPI("records", "list and read a connection's unified records (work orders, assets ...)", map[string]func() apiCommand{
		"list": recordsList,
		"get":  recordsGet,
	})
}

var recordColumns = []string{"id", "remote_id", "number", "code", "title", "name", "status", "update_time", "delete_time"}

// readFlags shape how records are read.
type readFlags struct {
	full bool
	live bool
}

func (r *readFlags) define(fs *flag.FlagSet) {
	fs.BoolVar(&r.full, "full", false, "include remote_data, the system's own record")
	fs.BoolVar(&r.live, "live", false, "read the connected system itself instead of the synced store")
}

func (r readFlags) apply(req proto.Message) {
	if r.full {
		setField(req, "view", protoreflect.ValueOfEnum(protoreflect.EnumNumber(entityv1.View_FULL)))
	}
	if r.live {
		setField(req, "consistency", protoreflect.ValueOfEnum(protoreflect.EnumNumber(entityv1.Consistency_LIVE)))
	}
}

func recordsList() apiCommand {
	var page pageFlags
	var read readFlags
	var filter, orderBy string
	var deleted bool
	return apiCommand{
		help: "list records of a collection (" + strings.Join(collections(), ", ") + ")",
		args: []string{"<connection>", "<collection>"},
		flags: func(fs *flag.FlagSet) {
			page.define(fs)
			read.define(fs)
			fs.StringVar(&filter, "filter", "", `AIP-160 filter, e.g. 'status = "OPEN" AND update_time > "2026-01-01T00:00:00Z"'`)
			fs.StringVar(&orderBy, "order-by", "", `"create_time" (default) or "update_time", either with " desc"`)
			fs.BoolVar(&deleted, "show-deleted", false, "include records deleted in the connected system")
		},
		run: func(ctx context.Context, s *session, args []string) error {
			call, req, err := s.recordMethod("List", args[1], "")
			if err != nil {
				return err
			}
			setField(req, "connection", protoreflect.ValueOfString(args[0]))
			setField(req, "filter", protoreflect.ValueOfString(filter))
			setField(req, "order_by", protoreflect.ValueOfString(orderBy))
			setField(req, "show_deleted", protoreflect.ValueOfBool(deleted))
			read.apply(req)
			resp, err := page.list(ctx, call, req)
			if err != nil {
				return err
			}
			items := resp.ProtoReflect().Descriptor().Fields().Get(0).Name()
			return s.out.list(resp, string(items), recordColumns...)
		},
	}
}

func recordsGet() apiCommand {
	var read readFlags
	return apiCommand{
		help: "show one record",
		args: []string{"<connection>", "<collection>", "<id>"},
		flags: func(fs *flag.FlagSet) {
			read.define(fs)
		},
		run: func(ctx context.Context, s *session, args []string) error {
			call, req, err := s.recordMethod("Get", args[1], "s")
			if err != nil {
				return err
			}
			setField(req, "connection", protoreflect.ValueOfString(args[0]))
			setField(req, "id", protoreflect.ValueOfString(args[2]))
			read.apply(req)
			resp, err := call(ctx, req)
			if err != nil {
				return err
			}
			return s.out.one(resp, string(resp.ProtoReflect().Descriptor().Fields().Get(0).Name()))
		},
	}
}

// entityMethods are the EntityService's methods, whose names give the
// collections: ListWorkOrders is the collection workOrders.
var entityMethods = reflect.TypeFor[entityv1.EntityServiceClient]()

// collections lists the record collections, as the REST paths name them.
func collections() []string {
	var out []string
	for i := range entityMethods.NumMethod() {
		name := entityMethods.Method(i).Name
		if strings.HasPrefix(name, "List") && name != "ListSystems" {
			out = append(out, strings.ToLower(name[4:5])+name[5:])
		}
	}
	slices.Sort(out)
	return out
}

// recordMethod is the EntityService method verb+Collection (trimmed of
// trim: GetWorkOrder) with a new request for it, or a usage error naming
// the collections when collection is not one.
func (s *session) recordMethod(verb, collection, trim string) (rpc, proto.Message, error) {
	if !slices.Contains(collections(), collection) {
		return nil, nil, usagef("unknown collection %q: want one of %s", collection, strings.Join(collections(), ", "))
	}
	m := reflect.ValueOf(s.Entities).MethodByName(verb + strings.TrimSuffix(strings.ToUpper(collection[:1])+collection[1:], trim))
	req := reflect.New(m.Type().In(1).Elem()).Interface().(proto.Message)
	call := func(ctx context.Context, req proto.Message) (proto.Message, error) {
		out := m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(req)})
		if err, _ := out[1].Interface().(error); err != nil {
			return nil, err
		}
		return out[0].Interface().(proto.Message), nil
	}
	return call, req, nil
}

// setField sets the field name of m.
func setField(m proto.Message, name string, v protoreflect.Value) {
	r := m.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
}
