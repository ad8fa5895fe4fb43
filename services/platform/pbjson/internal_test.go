package pbjson

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	_ "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	_ "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	_ "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

// TestPlannedTypes checks that the API's messages take the fast path, so
// the equivalence test is not passing by handing everything to protojson:
// only messages holding a FieldMask or an Any fall back.
func TestPlannedTypes(t *testing.T) {
	planned := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		name := string(mt.Descriptor().FullName())
		if !strings.HasPrefix(name, "millwright.") {
			return true
		}
		p := planFor(mt.Descriptor())
		if !p.ok {
			t.Errorf("%s is not planned", name)
		}
		if _, err := appendMessage(nil, mt.New(), p); err != nil {
			t.Errorf("%s (empty): %v", name, err)
		} else {
			planned++
		}
		return true
	})
	if planned < 100 {
		t.Errorf("%d API message types planned", planned)
	}
	if planFor((&anypb.Any{}).ProtoReflect().Descriptor()).ok {
		t.Error("Any is planned; protojson must encode it (it needs the type registry)")
	}
}
