package pbjson

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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

// TestAppendTimestamp holds appendTimestamp's dates to package time's, at
// the ends of the range, around leap days and at random.
func TestAppendTimestamp(t *testing.T) {
	secs := []int64{minTimestamp, maxTimestamp, 0, -1, 951782400, 951868800, 4107456000, 4107542400, -62104060800, 1709164800 + 86399}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		secs = append(secs, minTimestamp+r.Int64N(maxTimestamp-minTimestamp+1))
	}
	for _, s := range secs {
		for _, nanos := range []int64{0, 1, 500000000, 999999999} {
			got, err := appendTimestamp(nil, s, nanos)
			want := time.Unix(s, nanos).UTC().Format(`"2006-01-02T15:04:05`)
			if err != nil || !strings.HasPrefix(string(got), want) || !strings.HasSuffix(string(got), `Z"`) {
				t.Fatalf("appendTimestamp(%d, %d) = %s, %v; want %s...Z", s, nanos, got, err, want)
			}
		}
	}
}
