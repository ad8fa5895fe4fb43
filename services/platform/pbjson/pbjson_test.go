package pbjson_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	_ "github.com/millwright-dev/millwright/gen/go/millwright/connector/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	_ "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// same fails unless pbjson and protojson encode m to the same JSON value
// (protojson varies its whitespace on purpose, so values are compared).
func same(t *testing.T, m proto.Message) {
	t.Helper()
	want, werr := pbjson.Options.Marshal(m)
	got, gerr := pbjson.Marshal(m)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: error %v, protojson's %v", m.ProtoReflect().Descriptor().FullName(), gerr, werr)
	}
	if werr != nil {
		if gerr.Error() != werr.Error() {
			t.Fatalf("error %q, protojson's %q", gerr, werr)
		}
		return
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", m.ProtoReflect().Descriptor().FullName(), err, got)
	}
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("%s:\n got %s\nwant %s", m.ProtoReflect().Descriptor().FullName(), got, want)
	}
}

// TestEveryAPIMessage fills every message type of the API with random
// values, many times over, and compares the encodings: pbjson's with
// protojson's, and AppendWire's, of the message's encoding and of scrambled
// encodings of it, with both (see sameWire).
func TestEveryAPIMessage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		if !strings.HasPrefix(string(mt.Descriptor().FullName()), "millwright.") {
			return true
		}
		n++
		for i := range 30 {
			m := mt.New()
			if i > 0 { // the first has every field unset
				fill(r, m, 0, i%3 == 0)
			}
			same(t, m.Interface())
			sameWire(t, r, m.Interface())
		}
		return true
	})
	if n < 100 {
		t.Fatalf("only %d API message types found", n)
	}
}

func TestFallbacksKeepProtojsonErrorsAndOutput(t *testing.T) {
	bad := string([]byte{'a', 0xff})
	tooEarly := &timestamppb.Timestamp{Seconds: -62135596801}
	nan, _ := structpb.NewStruct(map[string]any{"x": 1.0})
	nan.Fields["x"] = structpb.NewNumberValue(math.NaN())
	any1, _ := anypb.New(&entityv1.Money{CurrencyCode: "USD", Amount: "1.50"})
	for name, m := range map[string]proto.Message{
		"invalid UTF-8":           &entityv1.Vendor{Name: bad},
		"invalid UTF-8 in Struct": &entityv1.Vendor{CustomFields: &structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue(bad)}}},
		"timestamp out of range":  &entityv1.WorkOrder{DueTime: tooEarly},
		"NaN in a Struct":         &entityv1.Vendor{CustomFields: nan},
		"empty Value":             &entityv1.Vendor{CustomFields: &structpb.Struct{Fields: map[string]*structpb.Value{"k": {}}}},
		"Any":                     any1,
		"negative duration":       durationpb.New(-1500 * 1e6),
		"account":                 &connectionv1.Account{DisplayName: "a\u2028\"b\\\x01"},
	} {
		t.Run(name, func(t *testing.T) { same(t, m) })
	}
}

// fill sets random values on a random subset of m's fields.
func fill(r *rand.Rand, m protoreflect.Message, depth int, all bool) {
	md := m.Descriptor()
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		m.Set(md.Fields().ByName("seconds"), protoreflect.ValueOfInt64(r.Int64N(4e9)))
		m.Set(md.Fields().ByName("nanos"), protoreflect.ValueOfInt32([]int32{0, 5e8, 123e6, 123456e3, 123456789}[r.IntN(5)]))
		return
	case "google.protobuf.Duration":
		s := r.Int64N(1e6)
		n := []int32{0, 5e8, 1000}[r.IntN(3)]
		if r.IntN(2) == 0 {
			s, n = -s, -n
		}
		m.Set(md.Fields().ByName("seconds"), protoreflect.ValueOfInt64(s))
		m.Set(md.Fields().ByName("nanos"), protoreflect.ValueOfInt32(n))
		return
	case "google.protobuf.Struct":
		s, _ := structpb.NewStruct(randomJSON(r, depth).(map[string]any))
		proto.Merge(m.Interface(), s)
		return
	case "google.protobuf.FieldMask":
		m.Set(md.Fields().ByName("paths"), protoreflect.ValueOfList(func() protoreflect.List {
			l := m.NewField(md.Fields().ByName("paths")).List()
			l.Append(protoreflect.ValueOfString("title"))
			return l
		}()))
		return
	}
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if !all && r.IntN(2) == 0 {
			continue
		}
		if oo := fd.ContainingOneof(); oo != nil && m.WhichOneof(oo) != nil {
			continue
		}
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(3) {
				if fd.Message() != nil {
					if depth > 3 {
						break
					}
					e := l.NewElement()
					fill(r, e.Message(), depth+1, all)
					l.Append(e)
				} else {
					l.Append(scalar(r, fd))
				}
			}
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.IntN(3) {
				k := scalar(r, fd.MapKey()).MapKey()
				if fd.MapValue().Message() != nil {
					if depth > 3 {
						break
					}
					v := mp.NewValue()
					fill(r, v.Message(), depth+1, all)
					mp.Set(k, v)
				} else {
					mp.Set(k, scalar(r, fd.MapValue()))
				}
			}
		case fd.Message() != nil:
			if depth < 4 {
				fill(r, m.Mutable(fd).Message(), depth+1, all)
			}
		default:
			m.Set(fd, scalar(r, fd))
		}
	}
}

var texts = []string{"", "Pump P-101", "naïve ✓ 设备", "quote\" back\\slash", "tab\tnew\nline\x01\x1f", "</script>&amp;", "\u2028\u2029"}

func scalar(r *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(texts[r.IntN(len(texts))])
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(r.Int64N(1<<32) - 1<<31))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(r.Uint32())
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(r.Uint64()))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(r.Uint64())
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(r.NormFloat64() * 1e3))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64([]float64{0, 1.5, -2e-9, 3e22, r.NormFloat64()}[r.IntN(5)])
	case protoreflect.BytesKind:
		b := make([]byte, r.IntN(9))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		if r.IntN(8) == 0 {
			return protoreflect.ValueOfEnum(999) // unknown: a number
		}
		return protoreflect.ValueOfEnum(vals.Get(r.IntN(vals.Len())).Number())
	}
	panic(fd.Kind().String())
}

func randomJSON(r *rand.Rand, depth int) any {
	obj := map[string]any{}
	for i := range r.IntN(5) {
		k := texts[r.IntN(len(texts))] + string(rune('a'+i))
		switch r.IntN(6) {
		case 0:
			obj[k] = nil
		case 1:
			obj[k] = []float64{0, 12.5, 1e21, 1e-7, -3}[r.IntN(5)]
		case 2:
			obj[k] = texts[r.IntN(len(texts))]
		case 3:
			obj[k] = r.IntN(2) == 0
		case 4:
			if depth < 3 {
				obj[k] = randomJSON(r, depth+1)
			}
		case 5:
			obj[k] = []any{"x", 1.0, nil, map[string]any{"y": true}}
		}
	}
	return obj
}

// BenchmarkListWorkOrders encodes a page of 100 work orders: with
// protojson, with pbjson, and from the page's protobuf encoding, which the
// gateway receives: decoded then encoded with pbjson, or read by AppendWire.
func BenchmarkListWorkOrders(b *testing.B) {
	resp := &entityv1.ListWorkOrdersResponse{NextPageToken: "token"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		wo := &entityv1.WorkOrder{}
		fill(r, wo.ProtoReflect(), 0, true)
		wo.RemoteData = nil
		resp.WorkOrders = append(resp.WorkOrders, wo)
	}
	wire, err := proto.Marshal(resp)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("protojson", func(b *testing.B) {
		for b.Loop() {
			if _, err := pbjson.Options.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pbjson", func(b *testing.B) {
		for b.Loop() {
			if _, err := pbjson.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmarshal+pbjson", func(b *testing.B) {
		for b.Loop() {
			m := &entityv1.ListWorkOrdersResponse{}
			if err := proto.Unmarshal(wire, m); err != nil {
				b.Fatal(err)
			}
			if _, err := pbjson.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		md := resp.ProtoReflect().Descriptor()
		for b.Loop() {
			if _, err := pbjson.AppendWire(nil, md, wire); err != nil {
				b.Fatal(err)
			}
		}
	})
}
