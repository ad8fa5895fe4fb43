// Package pbjson encodes protobuf messages as JSON exactly as protojson
// does with UseProtoNames and EmitUnpopulated (the REST API's encoding),
// several times faster: each message type's fields are planned once, keys
// are pre-encoded, and values are appended to one buffer without protojson's
// per-call sorting and interface boxing. AppendWire writes the same JSON
// from a message's protobuf encoding, without decoding it.
//
// What it does not plan — google.protobuf.Any and FieldMask, extensions,
// proto2 default values — and every error (invalid UTF-8, a timestamp out of
// range, a Struct value that is not JSON) is handed to protojson, so the
// output and the errors are protojson's. The equivalence test holds it to
// protojson over every message type of the API.
package pbjson

import (
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Options are the protojson options whose output Marshal reproduces.
var Options = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// Marshal encodes m as Options.Marshal(m) would.
func Marshal(m proto.Message) ([]byte, error) {
	return Append(nil, m)
}

// Append appends m's encoding to b.
func Append(b []byte, m proto.Message) ([]byte, error) {
	r := m.ProtoReflect()
	if p := planFor(r.Descriptor()); p.ok {
		if out, err := appendMessage(p.buffer(b), r, p); err == nil {
			p.lastSize.Store(int64(len(out)))
			return out, nil
		}
	}
	return Options.MarshalAppend(b, m)
}

// buffer returns b, or for a nil b an empty buffer the size of the type's
// last encoding (the best guess of this one's size): one allocation instead
// of a dozen growths.
func (p *plan) buffer(b []byte) []byte {
	if b != nil {
		return b
	}
	return make([]byte, 0, p.lastSize.Load()+p.lastSize.Load()/8)
}

// errFallback makes Append hand the message to protojson.
var errFallback = errors.New("pbjson: not planned")

type wellKnown int

const (
	plain wellKnown = iota
	timestamp
	duration
	structMsg
	valueMsg
	listValue
	wrapper
	empty
)

// plan is how one message type is encoded.
type plan struct {
	ok       bool // false: protojson encodes it
	kind     wellKnown
	fields   []fieldPlan  // in declaration order, the order of the output
	lastSize atomic.Int64 // of the last top-level encoding

	// For AppendWire: the index in fields of each field number below
	// len(byNumber), -1 for none; larger numbers are looked up in md.
	byNumber []int32
	md       protoreflect.MessageDescriptor
}

// shape is how a field holds its values.
type shape uint8

const (
	singleShape shape = iota
	listShape
	mapShape
)

type fieldPlan struct {
	fd       protoreflect.FieldDescriptor
	key      []byte // `"name":`
	inOneof  bool   // emitted only when set (oneof members, proto3 optional)
	presence bool   // unset is null
	msg      *plan  // the plan of a message field, list element or map value

	// For AppendWire.
	shape    shape          // list, map or single value, as fd says
	wireType protowire.Type // of a value (of an element, for a list)
	packable bool           // a list of numbers: also accepted packed
	entry    *plan          // the plan of a map field's entry message
	rivals   []int          // the other members of its oneof, by index
}

var (
	plans    sync.Map   // protoreflect.FullName -> *plan, complete
	building sync.Mutex // held while plans are built
)

func planFor(md protoreflect.MessageDescriptor) *plan {
	if p, ok := plans.Load(md.FullName()); ok {
		return p.(*plan)
	}
	building.Lock()
	defer building.Unlock()
	made := map[protoreflect.FullName]*plan{}
	p := planIn(made, md)
	for name, p := range made { // publish only complete plans
		plans.LoadOrStore(name, p)
	}
	return p
}

// planIn returns md's plan, building it (and the plans of its fields) into
// made; a type met again while it is built (a recursive type) gets the plan
// being built.
func planIn(made map[protoreflect.FullName]*plan, md protoreflect.MessageDescriptor) *plan {
	if p, ok := plans.Load(md.FullName()); ok {
		return p.(*plan)
	}
	if p, ok := made[md.FullName()]; ok {
		return p
	}
	p := &plan{}
	made[md.FullName()] = p
	build(made, p, md)
	return p
}

// wellKnowns are the well-known types encoded by their own rules.
var wellKnowns = map[protoreflect.FullName]wellKnown{
	"google.protobuf.Timestamp": timestamp,
	"google.protobuf.Duration":  duration,
	"google.protobuf.Struct":    structMsg,
	"google.protobuf.Value":     valueMsg,
	"google.protobuf.ListValue": listValue,
	"google.protobuf.Empty":     empty,
	"google.protobuf.BoolValue": wrapper, "google.protobuf.StringValue": wrapper, "google.protobuf.BytesValue": wrapper,
	"google.protobuf.Int32Value": wrapper, "google.protobuf.UInt32Value": wrapper, "google.protobuf.Int64Value": wrapper,
	"google.protobuf.UInt64Value": wrapper, "google.protobuf.FloatValue": wrapper, "google.protobuf.DoubleValue": wrapper,
}

// build plans md. A well-known type gets its kind, and its fields for
// AppendWire, which reads them from the wire.
func build(made map[protoreflect.FullName]*plan, p *plan, md protoreflect.MessageDescriptor) {
	kind, known := wellKnowns[md.FullName()]
	if !known && (md.FullName().Parent() == "google.protobuf" || md.ExtensionRanges().Len() > 0 || md.Syntax() != protoreflect.Proto3) {
		return // Any, FieldMask, extensions, proto2 defaults: protojson's
	}
	p.kind, p.md = kind, md
	fds := md.Fields()
	p.fields = make([]fieldPlan, fds.Len())
	maxNumber := 0
	for i := range fds.Len() {
		fd := fds.Get(i)
		f := fieldPlan{fd: fd, inOneof: fd.ContainingOneof() != nil, presence: fd.HasPresence()}
		f.key = append(AppendString(nil, fd.TextName()), ':')
		var md protoreflect.MessageDescriptor
		if fd.IsMap() {
			md = fd.MapValue().Message()
			f.entry = planIn(made, fd.Message())
		} else {
			md = fd.Message()
		}
		if md != nil {
			f.msg = planIn(made, md) // a field of an unplanned type falls back when met
		}
		f.wireType = wireTypes[fd.Kind()]
		switch {
		case fd.IsList():
			f.shape = listShape
		case fd.IsMap():
			f.shape = mapShape
		}
		f.packable = fd.IsList() && f.wireType != protowire.BytesType
		if oo := fd.ContainingOneof(); oo != nil && !oo.IsSynthetic() {
			for j := range oo.Fields().Len() {
				if other := oo.Fields().Get(j); other != fd {
					f.rivals = append(f.rivals, other.Index())
				}
			}
		}
		maxNumber = max(maxNumber, int(fd.Number()))
		p.fields[i] = f
	}
	p.byNumber = make([]int32, min(maxNumber, 1023)+1)
	for i := range p.byNumber {
		p.byNumber[i] = -1
	}
	for i := range fds.Len() {
		if n := int(fds.Get(i).Number()); n < len(p.byNumber) {
			p.byNumber[n] = int32(i)
		}
	}
	p.ok = true
}

// wireTypes is the wire type of a value of each kind.
var wireTypes = map[protoreflect.Kind]protowire.Type{
	protoreflect.BoolKind: protowire.VarintType, protoreflect.EnumKind: protowire.VarintType,
	protoreflect.Int32Kind: protowire.VarintType, protoreflect.Sint32Kind: protowire.VarintType,
	protoreflect.Uint32Kind: protowire.VarintType, protoreflect.Int64Kind: protowire.VarintType,
	protoreflect.Sint64Kind: protowire.VarintType, protoreflect.Uint64Kind: protowire.VarintType,
	protoreflect.Fixed32Kind: protowire.Fixed32Type, protoreflect.Sfixed32Kind: protowire.Fixed32Type,
	protoreflect.FloatKind: protowire.Fixed32Type, protoreflect.Fixed64Kind: protowire.Fixed64Type,
	protoreflect.Sfixed64Kind: protowire.Fixed64Type, protoreflect.DoubleKind: protowire.Fixed64Type,
	protoreflect.StringKind: protowire.BytesType, protoreflect.BytesKind: protowire.BytesType,
	protoreflect.MessageKind: protowire.BytesType, protoreflect.GroupKind: protowire.StartGroupType,
}

func appendMessage(b []byte, m protoreflect.Message, p *plan) ([]byte, error) {
	if !p.ok {
		return b, errFallback
	}
	switch p.kind {
	case timestamp:
		secs, nanos := secondsAndNanos(m)
		return appendTimestamp(b, secs, nanos)
	case duration:
		secs, nanos := secondsAndNanos(m)
		return appendDuration(b, secs, nanos)
	case structMsg:
		return appendStruct(b, m)
	case valueMsg:
		return appendValue(b, m)
	case listValue:
		return appendListValue(b, m)
	case wrapper:
		fd := m.Descriptor().Fields().ByNumber(1)
		return appendSingular(b, m.Get(fd), fd, nil)
	case empty:
		return append(b, "{}"...), nil
	}
	b = append(b, '{')
	first := true
	var err error
	for i := range p.fields {
		f := &p.fields[i]
		has := m.Has(f.fd)
		if !has && f.inOneof {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		switch {
		case !has && f.presence:
			b = append(b, "null"...)
		case f.fd.IsList():
			b, err = appendList(b, m.Get(f.fd).List(), f)
		case f.fd.IsMap():
			b, err = appendMap(b, m.Get(f.fd).Map(), f)
		default:
			b, err = appendSingular(b, m.Get(f.fd), f.fd, f.msg)
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendList(b []byte, l protoreflect.List, f *fieldPlan) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i := range l.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendSingular(b, l.Get(i), f.fd, f.msg); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func appendMap(b []byte, m protoreflect.Map, f *fieldPlan) ([]byte, error) {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	kind := f.fd.MapKey().Kind()
	slices.SortFunc(keys, func(x, y protoreflect.MapKey) int { return compareKeys(kind, x, y) })
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k.String())
		b = append(b, ':')
		if b, err = appendSingular(b, m.Get(k), f.fd.MapValue(), f.msg); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// compareKeys orders map keys as protojson does: false before true,
// integers by value, strings by bytes.
func compareKeys(kind protoreflect.Kind, x, y protoreflect.MapKey) int {
	switch kind {
	case protoreflect.BoolKind:
		xb, yb := x.Bool(), y.Bool()
		if xb == yb {
			return 0
		}
		if !xb {
			return -1
		}
		return 1
	case protoreflect.StringKind:
		return cmpOrdered(x.String(), y.String())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return cmpOrdered(x.Uint(), y.Uint())
	default:
		return cmpOrdered(x.Int(), y.Int())
	}
}

func cmpOrdered[T int64 | uint64 | string](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func appendSingular(b []byte, v protoreflect.Value, fd protoreflect.FieldDescriptor, msg *plan) ([]byte, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool()), nil
	case protoreflect.StringKind:
		s := v.String()
		if !utf8.ValidString(s) {
			return b, errFallback
		}
		return AppendString(b, s), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		b = append(b, '"')
		return append(strconv.AppendInt(b, v.Int(), 10), '"'), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b = append(b, '"')
		return append(strconv.AppendUint(b, v.Uint(), 10), '"'), nil
	case protoreflect.FloatKind:
		return appendFloat(b, v.Float(), 32), nil
	case protoreflect.DoubleKind:
		return appendFloat(b, v.Float(), 64), nil
	case protoreflect.BytesKind:
		b = append(b, '"')
		return append(base64.StdEncoding.AppendEncode(b, v.Bytes()), '"'), nil
	case protoreflect.EnumKind:
		if fd.Enum().FullName() == "google.protobuf.NullValue" {
			return append(b, "null"...), nil
		}
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return AppendString(b, string(ev.Name())), nil
		}
		return strconv.AppendInt(b, int64(v.Enum()), 10), nil
	case protoreflect.MessageKind:
		return appendMessage(b, v.Message(), msg)
	}
	return b, errFallback
}

// appendFloat writes a float as protojson does: encoding/json's format,
// with NaN and the infinities as strings.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' { // e-07 -> e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendString appends s as a JSON string, escaped as protojson does: quotes,
// backslashes and control characters only. s must be valid UTF-8.
func AppendString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hex = "0123456789abcdef"

const (
	minTimestamp = -62135596800 // 0001-01-01T00:00:00Z
	maxTimestamp = 253402300799 // 9999-12-31T23:59:59Z
	maxDuration  = 315576000000
)

func secondsAndNanos(m protoreflect.Message) (int64, int64) {
	fds := m.Descriptor().Fields()
	return m.Get(fds.ByNumber(1)).Int(), m.Get(fds.ByNumber(2)).Int()
}

func appendTimestamp(b []byte, secs, nanos int64) ([]byte, error) {
	if secs < minTimestamp || secs > maxTimestamp || nanos < 0 || nanos >= 1e9 {
		return b, errFallback
	}
	// The civil date of the day (proleptic Gregorian; secs is within years
	// 1 to 9999, so every division below is of non-negative numbers).
	days, rem := (secs-minTimestamp)/86400, (secs-minTimestamp)%86400
	year, month, day := civil(days)
	b = append(b, '"')
	b = append(b, twoDigits[2*(year/100):2*(year/100)+2]...)
	b = append(b, twoDigits[2*(year%100):2*(year%100)+2]...)
	b = append(b, '-', twoDigits[2*month], twoDigits[2*month+1], '-', twoDigits[2*day], twoDigits[2*day+1], 'T')
	hour, minute, second := rem/3600, rem%3600/60, rem%60
	b = append(b, twoDigits[2*hour], twoDigits[2*hour+1], ':', twoDigits[2*minute], twoDigits[2*minute+1], ':', twoDigits[2*second], twoDigits[2*second+1])
	b = appendNanos(b, nanos)
	return append(b, 'Z', '"'), nil
}

// twoDigits holds 00 to 99.
const twoDigits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// civil returns the date of the day days after 0001-01-01 (0 <= days <
// 3,652,059): the inverse of days-from-civil in Howard Hinnant's
// "chrono-Compatible Low-Level Date Algorithms", on eras of 400 years that
// start on 0001-01-01 rather than 0000-03-01.
func civil(days int64) (year, month, day int64) {
	// Days since 0000-03-01, which starts the era the algorithm counts in.
	z := days + 306
	era := z / 146097
	doe := z - era*146097                                  // day of the era
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the era
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the year, from March 1
	mp := (5*doy + 2) / 153                                // month, from March = 0
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendDigits appends a non-negative n, zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	i--
	buf[i] = byte('0' + n)
	return append(b, buf[i:]...)
}

// appendNanos writes a fraction of 0, 3, 6 or 9 digits, as protojson does.
func appendNanos(b []byte, nanos int64) []byte {
	if nanos == 0 {
		return b
	}
	digits := 9
	for ; digits > 3 && nanos%1000 == 0; digits -= 3 {
		nanos /= 1000
	}
	b = append(b, '.')
	return appendDigits(b, int(nanos), digits)
}

func appendDuration(b []byte, secs, nanos int64) ([]byte, error) {
	if secs < -maxDuration || secs > maxDuration || nanos <= -1e9 || nanos >= 1e9 ||
		(secs > 0 && nanos < 0) || (secs < 0 && nanos > 0) {
		return b, errFallback
	}
	b = append(b, '"')
	if secs < 0 || nanos < 0 {
		b = append(b, '-')
		secs, nanos = -secs, -nanos
	}
	b = strconv.AppendInt(b, secs, 10)
	b = appendNanos(b, nanos)
	return append(b, 's', '"'), nil
}

func appendStruct(b []byte, m protoreflect.Message) ([]byte, error) {
	fields := m.Get(m.Descriptor().Fields().ByNumber(1)).Map()
	keys := make([]string, 0, fields.Len())
	fields.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k.String())
		return true
	})
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if !utf8.ValidString(k) {
			return b, errFallback
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, fields.Get(protoreflect.ValueOfString(k).MapKey()).Message()); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendListValue(b []byte, m protoreflect.Message) ([]byte, error) {
	values := m.Get(m.Descriptor().Fields().ByNumber(1)).List()
	b = append(b, '[')
	var err error
	for i := range values.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendValue(b, values.Get(i).Message()); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendValue writes a google.protobuf.Value: its one set kind.
func appendValue(b []byte, m protoreflect.Message) ([]byte, error) {
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("kind"))
	if fd == nil {
		return b, errFallback // protojson: none of the oneof fields is set
	}
	v := m.Get(fd)
	switch fd.Number() {
	case 1: // null_value
		return append(b, "null"...), nil
	case 2: // number_value
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return b, errFallback // protojson refuses them
		}
		return appendFloat(b, v.Float(), 64), nil
	case 3: // string_value
		if !utf8.ValidString(v.String()) {
			return b, errFallback
		}
		return AppendString(b, v.String()), nil
	case 4: // bool_value
		return strconv.AppendBool(b, v.Bool()), nil
	case 5: // struct_value
		return appendStruct(b, v.Message())
	case 6: // list_value
		return appendListValue(b, v.Message())
	}
	return b, errFallback
}
