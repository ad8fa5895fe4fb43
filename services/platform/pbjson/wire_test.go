package pbjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// sameWire fails unless AppendWire writes, for m's encoding and for
// scrambled encodings of it (the same message to proto.Unmarshal), exactly
// the bytes pbjson.Marshal writes for m, which are protojson's; or the same
// error. Where nothing in m needs protojson, the wire must be read without
// decoding the message.
func sameWire(t *testing.T, r *rand.Rand, m proto.Message) {
	t.Helper()
	md := m.ProtoReflect().Descriptor()
	want, werr := pbjson.Marshal(m)
	if werr == nil {
		// protojson adds spaces at random; pbjson does not, except where it
		// hands the message to protojson.
		pj, err := pbjson.Options.Marshal(m)
		if err != nil {
			t.Fatalf("%s: pbjson encodes what protojson refuses: %v", md.FullName(), err)
		}
		if !bytes.Equal(compact(t, pj), compact(t, want)) {
			t.Fatalf("%s: pbjson\n%s\nprotojson\n%s", md.FullName(), want, pj)
		}
	}
	wire, err := proto.Marshal(m)
	if err != nil {
		return // invalid UTF-8: nothing to read
	}
	for variant := range 4 {
		b := wire
		if variant > 0 {
			b = scramble(r, md, wire)
			back := newMessage(md).Interface()
			if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, back); err != nil || !proto.Equal(back, m) {
				t.Fatalf("%s: the scrambled encoding is another message (%v)\n%v\n%v", md.FullName(), err, back, m)
			}
		}
		got, gerr := pbjson.AppendWire(nil, md, b)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("%s: AppendWire error %v, Marshal's %v", md.FullName(), gerr, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s (variant %d): AppendWire\n%s\nMarshal\n%s\nwire %x", md.FullName(), variant, got, want, b)
		}
		if werr == nil && wireOnly(md, map[protoreflect.FullName]bool{}) {
			only, err := pbjson.AppendWireOnly(nil, md, b)
			if err != nil || !bytes.Equal(only, want) {
				t.Fatalf("%s (variant %d): read from the wire: %v\n%s", md.FullName(), variant, err, only)
			}
		}
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return out.Bytes()
}

// wireOnly reports whether AppendWire reads every message of type md
// itself: nothing in it is an Any or a FieldMask, which protojson encodes.
func wireOnly(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	switch md.FullName() {
	case "google.protobuf.Any", "google.protobuf.FieldMask":
		return false
	}
	if seen[md.FullName()] {
		return true
	}
	seen[md.FullName()] = true
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil && !wireOnly(fd.Message(), seen) {
			return false
		}
	}
	return true
}

// newMessage returns an empty message of md's generated type, or a dynamic
// one.
func newMessage(md protoreflect.MessageDescriptor) protoreflect.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt.New()
	}
	return dynamicpb.NewMessage(md)
}

// scramble re-encodes a message of type md as another sender may, with the
// same meaning to proto.Unmarshal: its fields in a random order (the
// occurrences of one field, or of one oneof, kept in order), packed lists
// split and partly unpacked, message fields in two parts, singular fields
// and oneofs first set to another value, map entries preceded by another
// value of the same key, and unknown fields (unused numbers, and known
// numbers with another wire type) among them; and so on inside every
// message.
func scramble(r *rand.Rand, md protoreflect.MessageDescriptor, b []byte) []byte {
	groups := map[any][][]byte{}
	var order []any
	add := func(key any, records ...[]byte) {
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], records...)
	}
	decoys := !md.IsMapEntry() // a map entry has no message type of its own
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		record, value := b[:n+m], b[n:n+m]
		b = b[n+m:]
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			add(fmt.Sprint("unknown", len(order)), record)
			continue
		}
		var key any = num
		if oo := fd.ContainingOneof(); oo != nil {
			key = oo.FullName()
			if decoys && r.IntN(2) == 0 {
				// Set it, then another member: what the record sets
				// replaces both. (A message set twice is merged.)
				if other := oo.Fields().Get(r.IntN(oo.Fields().Len())); other != fd {
					add(key, randomField(r, md, fd, nil), randomField(r, md, other, nil))
				} else if fd.Message() == nil {
					add(key, randomField(r, md, fd, nil))
				}
			}
		}
		switch {
		case fd.IsMap():
			payload, _ := protowire.ConsumeBytes(value)
			if decoys && r.IntN(2) == 0 {
				add(key, randomField(r, md, fd, record))
			}
			add(key, protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), scramble(r, fd.Message(), payload)))
		case fd.Message() != nil:
			payload, _ := protowire.ConsumeBytes(value)
			payload = scramble(r, fd.Message(), payload)
			var parts [][]byte
			if !fd.IsList() && r.IntN(2) == 0 {
				parts = split(r, payload)
			} else {
				parts = [][]byte{payload}
			}
			for _, p := range parts {
				add(key, protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), p))
			}
		case fd.IsList() && typ == protowire.BytesType && wireType(fd.Kind()) != protowire.BytesType:
			add(key, unpack(r, fd, num, value)...)
		default:
			if decoys && !fd.IsList() && fd.ContainingOneof() == nil && r.IntN(2) == 0 {
				add(key, randomField(r, md, fd, nil))
			}
			add(key, record)
		}
	}
	for range r.IntN(3) {
		add(fmt.Sprint("unknown", len(order)), unknownField(r, md))
	}
	// Interleave the groups at random.
	var out []byte
	for len(order) > 0 {
		i := r.IntN(len(order))
		g := groups[order[i]]
		out = append(out, g[0]...)
		if len(g) == 1 {
			order = append(order[:i], order[i+1:]...)
		} else {
			groups[order[i]] = g[1:]
		}
	}
	return out
}

// split cuts a message's encoding in two at a field boundary.
func split(r *rand.Rand, b []byte) [][]byte {
	var cuts []int
	for i := 0; i < len(b); {
		_, _, n := protowire.ConsumeField(b[i:])
		i += n
		cuts = append(cuts, i)
	}
	if len(cuts) == 0 {
		return [][]byte{b, nil}
	}
	c := cuts[r.IntN(len(cuts))]
	return [][]byte{b[:c], b[c:]}
}

// unpack re-encodes a packed list as runs of packed and unpacked elements.
func unpack(r *rand.Rand, fd protoreflect.FieldDescriptor, num protowire.Number, value []byte) [][]byte {
	payload, _ := protowire.ConsumeBytes(value)
	typ := wireType(fd.Kind())
	var elems [][]byte
	for len(payload) > 0 {
		n := protowire.ConsumeFieldValue(num, typ, payload)
		elems = append(elems, payload[:n])
		payload = payload[n:]
	}
	var out [][]byte
	for len(elems) > 0 {
		k := min(1+r.IntN(3), len(elems))
		if r.IntN(2) == 0 {
			out = append(out, protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), bytes.Join(elems[:k], nil)))
		} else {
			for _, e := range elems[:k] {
				out = append(out, append(protowire.AppendTag(nil, num, typ), e...))
			}
		}
		elems = elems[k:]
	}
	if r.IntN(4) == 0 {
		out = append(out, protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), nil)) // empty run
	}
	return out
}

// wireType is the wire type of a value of kind k.
func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}

// randomField encodes field fd of md with a random value; for a map, one
// entry with the key of the entry encoded in like.
func randomField(r *rand.Rand, md protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor, like []byte) []byte {
	m := newMessage(md)
	switch {
	case fd.IsMap():
		if err := proto.Unmarshal(like, m.Interface()); err != nil {
			panic(err)
		}
		mp := m.Mutable(fd).Map()
		mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			v := mp.NewValue()
			if fd.MapValue().Message() != nil {
				fill(r, v.Message(), 3, true)
			} else {
				v = scalar(r, fd.MapValue())
			}
			mp.Set(k, v)
			return true
		})
	case fd.Message() != nil:
		fill(r, m.Mutable(fd).Message(), 3, true)
	default:
		m.Set(fd, scalar(r, fd))
	}
	b, err := proto.Marshal(m.Interface())
	if err != nil {
		panic(err)
	}
	return b
}

// unknownField encodes a field proto.Unmarshal keeps as unknown: an unused
// number, or a known number with a wire type it does not take.
func unknownField(r *rand.Rand, md protoreflect.MessageDescriptor) []byte {
	num := protowire.Number(1 + r.IntN(3000))
	fd := md.Fields().ByNumber(num)
	if fd != nil && md.IsMapEntry() {
		// proto.Unmarshal of a dynamic message panics on a map key sent
		// again with another wire type: its slow path keeps the failed
		// key.
		num, fd = num+2, nil
	}
	types := []protowire.Type{protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type, protowire.BytesType, protowire.StartGroupType}
	typ := types[r.IntN(len(types))]
	if fd != nil && (typ == wireType(fd.Kind()) || typ == protowire.BytesType && fd.IsList()) {
		typ = protowire.StartGroupType
	}
	b := protowire.AppendTag(nil, num, typ)
	switch typ {
	case protowire.VarintType:
		return protowire.AppendVarint(b, r.Uint64()>>r.IntN(64))
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(b, r.Uint32())
	case protowire.Fixed64Type:
		return protowire.AppendFixed64(b, r.Uint64())
	case protowire.BytesType:
		junk := make([]byte, r.IntN(6))
		for i := range junk {
			junk[i] = byte(r.Uint32())
		}
		return protowire.AppendBytes(b, junk)
	}
	b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), 7)
	return protowire.AppendTag(b, num, protowire.EndGroupType)
}

// kinds is a message of every kind of field AppendWire reads: scalars of
// every kind (singular, proto3 optional and repeated), maps of every key
// kind, a oneof, nesting, and the well-known types.
var kinds = func() protoreflect.MessageDescriptor {
	scalars := []descriptorpb.FieldDescriptorProto_Type{
		descriptorpb.FieldDescriptorProto_TYPE_BOOL, descriptorpb.FieldDescriptorProto_TYPE_INT32,
		descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_UINT32,
		descriptorpb.FieldDescriptorProto_TYPE_UINT64, descriptorpb.FieldDescriptorProto_TYPE_SINT32,
		descriptorpb.FieldDescriptorProto_TYPE_SINT64, descriptorpb.FieldDescriptorProto_TYPE_FIXED32,
		descriptorpb.FieldDescriptorProto_TYPE_FIXED64, descriptorpb.FieldDescriptorProto_TYPE_SFIXED32,
		descriptorpb.FieldDescriptorProto_TYPE_SFIXED64, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
		descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_STRING,
		descriptorpb.FieldDescriptorProto_TYPE_BYTES, descriptorpb.FieldDescriptorProto_TYPE_ENUM,
	}
	msg := &descriptorpb.DescriptorProto{Name: proto.String("Kinds")}
	addField := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string, repeated bool) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ.Enum(),
			Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String(name)}
		if repeated {
			f.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		}
		if typ == descriptorpb.FieldDescriptorProto_TYPE_ENUM && typeName == "" {
			typeName = ".pbjsontest.Color"
		}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		msg.Field = append(msg.Field, f)
		return f
	}
	mapField := func(num int32, key, value descriptorpb.FieldDescriptorProto_Type, valueType string) {
		entry := &descriptorpb.DescriptorProto{Name: proto.String(fmt.Sprintf("Map%dEntry", num)), Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}}
		k := &descriptorpb.FieldDescriptorProto{Name: proto.String("key"), Number: proto.Int32(1), Type: key.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String("key")}
		v := &descriptorpb.FieldDescriptorProto{Name: proto.String("value"), Number: proto.Int32(2), Type: value.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), JsonName: proto.String("value")}
		if value == descriptorpb.FieldDescriptorProto_TYPE_ENUM && valueType == "" {
			valueType = ".pbjsontest.Color"
		}
		if valueType != "" {
			v.TypeName = proto.String(valueType)
		}
		entry.Field = []*descriptorpb.FieldDescriptorProto{k, v}
		msg.NestedType = append(msg.NestedType, entry)
		addField(fmt.Sprintf("map%d", num), num, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".pbjsontest.Kinds."+entry.GetName(), true)
	}
	for i, typ := range scalars {
		n := int32(i + 1)
		addField(fmt.Sprintf("s%d", n), n, typ, "", false)
		addField(fmt.Sprintf("r%d", n), n+20, typ, "", true)
	}
	msgType := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	for i, name := range []string{"pbjsontest.Kinds", "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.Struct",
		"google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Empty", "google.protobuf.BoolValue",
		"google.protobuf.Int32Value", "google.protobuf.Int64Value", "google.protobuf.UInt32Value", "google.protobuf.UInt64Value",
		"google.protobuf.FloatValue", "google.protobuf.DoubleValue", "google.protobuf.StringValue", "google.protobuf.BytesValue"} {
		n := int32(41 + i)
		addField(fmt.Sprintf("m%d", n), n, msgType, "."+name, false)
		addField(fmt.Sprintf("l%d", n), n+20, msgType, "."+name, true)
	}
	S := descriptorpb.FieldDescriptorProto_TYPE_STRING
	mapField(81, descriptorpb.FieldDescriptorProto_TYPE_INT32, S, "")
	mapField(82, descriptorpb.FieldDescriptorProto_TYPE_INT64, msgType, ".pbjsontest.Kinds")
	mapField(83, descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, "")
	mapField(84, descriptorpb.FieldDescriptorProto_TYPE_UINT64, descriptorpb.FieldDescriptorProto_TYPE_BYTES, "")
	mapField(85, descriptorpb.FieldDescriptorProto_TYPE_SINT32, descriptorpb.FieldDescriptorProto_TYPE_ENUM, "")
	mapField(86, descriptorpb.FieldDescriptorProto_TYPE_SINT64, descriptorpb.FieldDescriptorProto_TYPE_FLOAT, "")
	mapField(87, descriptorpb.FieldDescriptorProto_TYPE_FIXED32, descriptorpb.FieldDescriptorProto_TYPE_BOOL, "")
	mapField(88, descriptorpb.FieldDescriptorProto_TYPE_SFIXED64, msgType, ".google.protobuf.Value")
	mapField(89, descriptorpb.FieldDescriptorProto_TYPE_BOOL, msgType, ".google.protobuf.Timestamp")
	mapField(90, S, descriptorpb.FieldDescriptorProto_TYPE_SINT64, "")
	msg.OneofDecl = []*descriptorpb.OneofDescriptorProto{{Name: proto.String("choice")}}
	for _, f := range []*descriptorpb.FieldDescriptorProto{
		addField("o_string", 91, S, "", false),
		addField("o_int64", 92, descriptorpb.FieldDescriptorProto_TYPE_INT64, "", false),
		addField("o_kinds", 93, msgType, ".pbjsontest.Kinds", false),
		addField("o_value", 94, msgType, ".google.protobuf.Value", false),
		addField("o_time", 95, msgType, ".google.protobuf.Timestamp", false),
	} {
		f.OneofIndex = proto.Int32(0)
	}
	for i, typ := range []descriptorpb.FieldDescriptorProto_Type{S, descriptorpb.FieldDescriptorProto_TYPE_INT32, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_ENUM} {
		name := fmt.Sprintf("opt%d", i)
		f := addField(name, int32(96+i), typ, "", false)
		f.Proto3Optional = proto.Bool(true)
		f.OneofIndex = proto.Int32(int32(len(msg.OneofDecl)))
		msg.OneofDecl = append(msg.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String("_" + name)})
	}
	addField("far", 100000, S, "", false) // beyond the dense index of numbers
	file := &descriptorpb.FileDescriptorProto{
		Name: proto.String("pbjsontest/kinds.proto"), Package: proto.String("pbjsontest"), Syntax: proto.String("proto3"),
		Dependency: []string{"google/protobuf/timestamp.proto", "google/protobuf/duration.proto", "google/protobuf/struct.proto",
			"google/protobuf/empty.proto", "google/protobuf/wrappers.proto"},
		MessageType: []*descriptorpb.DescriptorProto{msg},
		EnumType: []*descriptorpb.EnumDescriptorProto{{Name: proto.String("Color"), Value: []*descriptorpb.EnumValueDescriptorProto{
			{Name: proto.String("COLOR_UNSPECIFIED"), Number: proto.Int32(0)}, {Name: proto.String("RED"), Number: proto.Int32(1)},
			{Name: proto.String("GREEN"), Number: proto.Int32(-2)}}}},
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		panic(err)
	}
	return fd.Messages().Get(0)
}()

// TestWireEveryKind holds AppendWire to pbjson and protojson over random
// messages with a field of every kind.
func TestWireEveryKind(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 300 {
		m := dynamicpb.NewMessage(kinds)
		if i > 0 {
			fill(r, m, 2, i%3 == 0) // from depth 2: two levels of nesting
		}
		sameWire(t, r, m)
	}
}

// wire helpers for hand-made encodings.
func tag(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }

func field(num protowire.Number, value []byte) []byte {
	return protowire.AppendBytes(tag(num, protowire.BytesType), value)
}

func varint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(tag(num, protowire.VarintType), v)
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// nested is a message nested depth levels deep (itself the first) through
// message field num.
func nested(num protowire.Number, depth int) []byte {
	var b []byte
	for range depth - 1 {
		b = field(num, b)
	}
	return b
}

// TestWireErrors checks that what proto.Unmarshal refuses, AppendWire
// refuses with its error, and that values protojson refuses give
// protojson's error.
func TestWireErrors(t *testing.T) {
	wo := (&entityv1.WorkOrder{}).ProtoReflect().Descriptor()
	entry := func(key string, value []byte) []byte {
		return field(8, field(1, join(field(1, []byte(key)), field(2, value))))
	}
	for _, c := range []struct {
		name string
		md   protoreflect.MessageDescriptor
		wire []byte
	}{
		{"truncated tag", wo, []byte{0x80}},
		{"field number 0", wo, []byte{0x00, 0x01}},
		{"field number beyond the maximum", wo, varint(protowire.MaxValidNumber+1, 1)},
		{"truncated length", wo, append(tag(11, protowire.BytesType), 5, 'a')},
		{"truncated varint", wo, append(tag(13, protowire.VarintType), 0x80)},
		{"invalid UTF-8", wo, field(11, []byte("a\xff"))},
		{"invalid UTF-8, then a valid string", wo, join(field(11, []byte("a\xff")), field(11, []byte("ok")))},
		{"invalid UTF-8 in a Struct key", wo, entry("\xff", nil)},
		{"bad nested message", wo, field(4, []byte{0x08})},
		{"bad value of a map entry whose key comes again", wo, join(entry("k", []byte{0x08}), entry("k", field(3, []byte("ok"))))},
		{"bad message in a oneof member set before another", kinds, join(field(93, []byte{0x08}), field(91, []byte("x")))},
		{"bad message in a Value kind set before another", wo, entry("k", join(field(5, []byte{0x0a, 0x05}), varint(4, 1)))},
		{"truncated packed list", kinds, field(22, []byte{0x80})},
		{"packed fixed32 list of 3 bytes", kinds, field(28, []byte{1, 2, 3})},
		{"end group without start", wo, tag(1, protowire.EndGroupType)},
		{"unterminated group", wo, tag(500, protowire.StartGroupType)},
		{"reserved wire type", wo, []byte{0x0e}},
		{"nested deeper than proto.Unmarshal's limit", kinds, nested(41, protowire.DefaultRecursionLimit+1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			uerr := proto.Unmarshal(c.wire, newMessage(c.md).Interface())
			if uerr == nil {
				t.Fatal("proto.Unmarshal accepts it")
			}
			out, err := pbjson.AppendWire([]byte("x"), c.md, c.wire)
			if err == nil || err.Error() != uerr.Error() || string(out) != "x" {
				t.Errorf("AppendWire = %q, %v; want proto.Unmarshal's error %v", out, err, uerr)
			}
		})
	}
	// Valid wire, values protojson refuses: protojson's errors.
	tooEarly, _ := proto.Marshal(&entityv1.WorkOrder{DueTime: &timestamppb.Timestamp{Seconds: -62135596801}})
	noKind, _ := proto.Marshal(&entityv1.WorkOrder{CustomFields: &structpb.Struct{Fields: map[string]*structpb.Value{"k": {}}}})
	for name, wire := range map[string][]byte{"timestamp out of range": tooEarly, "Value without a kind": noKind} {
		t.Run(name, func(t *testing.T) {
			m := &entityv1.WorkOrder{}
			if err := proto.Unmarshal(wire, m); err != nil {
				t.Fatal(err)
			}
			_, want := pbjson.Options.Marshal(m)
			_, err := pbjson.AppendWire(nil, wo, wire)
			if want == nil || err == nil || err.Error() != want.Error() {
				t.Errorf("AppendWire error %v, protojson's %v", err, want)
			}
		})
	}
}

// TestWireOddValues checks encodings no Go encoder writes but
// proto.Unmarshal accepts: they are read from the wire, as proto.Unmarshal
// reads them.
func TestWireOddValues(t *testing.T) {
	ten := func(v uint64) []byte { // a varint in ten bytes, whatever its value
		b := make([]byte, 0, 10)
		for range 9 {
			b = append(b, byte(v)|0x80)
			v >>= 7
		}
		return append(b, byte(v)&1)
	}
	for _, c := range []struct {
		name string
		wire []byte
	}{
		{"bool 2", varint(1, 2)},
		{"int32 with high bits", varint(2, 1<<40|5)},
		{"uint32 with high bits", varint(4, 1<<40|5)},
		{"sint32 with high bits", varint(6, 1<<32|3)},
		{"enum of 64 bits", varint(16, 1<<40|1)},
		{"zero in ten bytes", append(tag(3, protowire.VarintType), ten(0)...)},
		{"packed int32 in ten-byte varints", field(22, join(ten(1), ten(1<<63)))},
		{"empty packed list", field(22, nil)},
		{"the largest field number, unknown", varint(protowire.MaxValidNumber, 1)},
		{"a map entry without key or value", field(82, nil)},
		{"a map entry's key twice, value in parts", field(82, join(varint(1, 5), varint(1, 6), field(2, varint(2, 1)), field(2, varint(3, 2))))},
		{"a oneof set, cleared, set again", join(field(93, varint(2, 1)), varint(92, 4), field(93, varint(3, 1)))},
		{"nested as deep as proto.Unmarshal's limit", nested(41, protowire.DefaultRecursionLimit)},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := dynamicpb.NewMessage(kinds)
			if err := proto.Unmarshal(c.wire, m); err != nil {
				t.Fatal(err)
			}
			want, err := pbjson.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pbjson.AppendWireOnly(nil, kinds, c.wire)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("AppendWire = %s, %v\nwant %s", got, err, want)
			}
		})
	}
}

// FuzzAppendWire feeds arbitrary bytes as a message of a few types: if
// proto.Unmarshal accepts them, AppendWire writes what Marshal writes for
// the decoded message; if it refuses them, AppendWire fails.
func FuzzAppendWire(f *testing.F) {
	types := []protoreflect.MessageDescriptor{
		(&entityv1.ListWorkOrdersResponse{}).ProtoReflect().Descriptor(),
		(&entityv1.PurchaseOrder{}).ProtoReflect().Descriptor(),
		(&structpb.Value{}).ProtoReflect().Descriptor(),
		kinds,
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i, md := range types {
		for range 4 {
			m := newMessage(md)
			fill(r, m, 1, true)
			b, err := proto.Marshal(m.Interface())
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), b)
			f.Add(uint8(i), scramble(r, md, b))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, wire []byte) {
		md := types[int(which)%len(types)]
		m := newMessage(md).Interface()
		var uerr error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Skipf("proto.Unmarshal panics: %v (on a dynamic message, a map key sent again with another wire type)", r)
				}
			}()
			uerr = proto.Unmarshal(wire, m)
		}()
		got, err := pbjson.AppendWire(nil, md, wire)
		if uerr != nil {
			if err == nil {
				t.Fatalf("proto.Unmarshal: %v; AppendWire wrote %s", uerr, got)
			}
			return
		}
		want, werr := pbjson.Marshal(m)
		if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("AppendWire %s (%v)\nMarshal %s (%v)", got, err, want, werr)
		}
	})
}
