package grpcserver

import (
	"context"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// validation refuses a request whose REQUIRED fields (google.api.field_behavior)
// are unset, naming each one. Required fields of a resource inside a Create
// request are checked too; an Update names what it changes in its mask.
// A request with a Validate method is then checked by it.
func validation(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		_, method, _ := strings.Cut(strings.TrimPrefix(info.FullMethod, "/"), "/")
		var bad []apierr.FieldViolation
		missing(m.ProtoReflect(), "", strings.HasPrefix(method, "Create"), &bad)
		if len(bad) > 0 {
			return nil, apierr.InvalidFields(bad...)
		}
	}
	if v, ok := req.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

func missing(m protoreflect.Message, prefix string, deep bool, bad *[]apierr.FieldViolation) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		path := prefix + string(f.Name())
		if required(f) && !m.Has(f) {
			*bad = append(*bad, apierr.FieldViolation{Field: path, Description: "is required"})
			continue
		}
		if deep && f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && m.Has(f) {
			missing(m.Get(f).Message(), path+".", false, bad)
		}
	}
}

func required(f protoreflect.FieldDescriptor) bool {
	behaviors, _ := proto.GetExtension(f.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	for _, b := range behaviors {
		if b == annotations.FieldBehavior_REQUIRED {
			return true
		}
	}
	return false
}
