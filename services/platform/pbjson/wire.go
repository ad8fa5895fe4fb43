package pbjson

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// AppendWire appends to b the JSON of the message of type md whose protobuf
// encoding is wire: what Append writes for the message proto.Unmarshal makes
// of wire, read from the wire without making that message. Fields may come
// in any order and more than once, as proto.Unmarshal takes them: the last
// value of a singular field wins, a message field met again is merged, a
// list is every element in order (packed or not), a map keeps the last entry
// of each key, and a oneof its member set last. Unknown fields are skipped.
//
// Whatever it does not read itself (the types Append hands to protojson, the
// values protojson refuses) and every error it meets are handed to
// proto.Unmarshal and Append: so wire that proto.Unmarshal refuses gives
// proto.Unmarshal's error, and the output is always Append's.
func AppendWire(b []byte, md protoreflect.MessageDescriptor, wire []byte) ([]byte, error) {
	if p := planFor(md); p.ok {
		w := encoders.Get().(*wireEncoder)
		out, err := w.encode(p.buffer(b), p, wire)
		w.release()
		if err == nil {
			p.lastSize.Store(int64(len(out)))
			return out, nil
		}
	}
	m := newMessage(md)
	if err := proto.Unmarshal(wire, m); err != nil {
		return b, err
	}
	return Append(b, m)
}

// newMessage returns an empty message of type md: of its generated type if
// there is one.
func newMessage(md protoreflect.MessageDescriptor) proto.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil && mt.Descriptor() == md {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(md)
}

// errInvalid is wire data proto.Unmarshal refuses (or that this reader
// cannot read): AppendWire hands it to proto.Unmarshal for its error.
var errInvalid = errors.New("pbjson: invalid wire data")

// recursionLimit is proto.Unmarshal's limit on the nesting of messages.
const recursionLimit = protowire.DefaultRecursionLimit

// wireEncoder holds one AppendWire call's working memory, reused through
// encoders: the occurrences of the fields of every message being encoded,
// and per message field the first and last of them.
type wireEncoder struct {
	src     []byte
	occs    []occurrence
	heads   []int // per message being encoded, per field: its first and last occurrence
	entries []mapEntry
}

// occurrence is one field's value on the wire.
type occurrence struct {
	val        uint64 // a varint or fixed-size value
	start, end int    // a length-delimited value: src[start:end]
	next       int    // the field's next occurrence, -1 for none
	typ        protowire.Type
}

// mapEntry is one entry of a map field: its key and its value's
// occurrences.
type mapEntry struct {
	skey        []byte              // a string key
	key         protoreflect.MapKey // any other key
	first, last int
}

var encoders = sync.Pool{New: func() any { return &wireEncoder{} }}

func (w *wireEncoder) release() {
	w.src = nil
	clear(w.entries[:cap(w.entries)]) // keys point into the last input
	w.occs, w.heads, w.entries = w.occs[:0], w.heads[:0], w.entries[:0]
	encoders.Put(w)
}

func (w *wireEncoder) encode(b []byte, p *plan, wire []byte) ([]byte, error) {
	w.src = wire
	w.occs = append(w.occs[:0], occurrence{start: 0, end: len(wire), next: -1, typ: protowire.BytesType})
	return w.message(b, p, 0, true, 0)
}

// message appends the JSON of a message of plan p whose encoding is
// occurrence k's bytes followed, unless one, by those of the occurrences
// chained after k (the parts of a message field met more than once, which
// proto.Unmarshal merges); k < 0 is the empty message.
func (w *wireEncoder) message(b []byte, p *plan, k int, one bool, depth int) ([]byte, error) {
	if !p.ok {
		return b, errFallback
	}
	if depth >= recursionLimit {
		return b, errInvalid
	}
	if k >= 0 && (one || w.occs[k].next < 0) {
		// One occurrence, as good as every one: the commonest small
		// messages are read straight from it.
		switch p.kind {
		case timestamp, duration:
			if secs, nanos, ok := w.seconds(w.occs[k]); ok {
				if p.kind == timestamp {
					return appendTimestamp(b, secs, nanos)
				}
				return appendDuration(b, secs, nanos)
			}
		case valueMsg:
			if out, ok := w.scalarValue(b, w.occs[k]); ok {
				return out, nil
			}
		}
	}
	occs, base := len(w.occs), len(w.heads)
	err := w.scan(p, k, one)
	if err == nil {
		b, err = w.render(b, p, base, depth)
	}
	w.occs, w.heads = w.occs[:occs], w.heads[:base]
	return b, err
}

// seconds reads the seconds (field 1) and nanos (field 2) of a Timestamp
// or Duration whose encoding is o's bytes, as scan and render would: the
// last value of each, fields of another number or wire type skipped as
// unknown. It reports false for bytes scan would refuse (then the message
// is read the long way, for its error).
func (w *wireEncoder) seconds(o occurrence) (secs, nanos int64, ok bool) {
	v := w.src[o.start:o.end]
	for len(v) > 0 {
		num, typ, n := protowire.ConsumeTag(v)
		if n < 0 || num > protowire.MaxValidNumber {
			return 0, 0, false
		}
		v = v[n:]
		if typ == protowire.VarintType && (num == 1 || num == 2) {
			x, n := protowire.ConsumeVarint(v)
			if n < 0 {
				return 0, 0, false
			}
			if num == 1 {
				secs = int64(x)
			} else {
				nanos = int64(int32(x))
			}
			v = v[n:]
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, v); n < 0 {
			return 0, 0, false
		}
		v = v[n:]
	}
	return secs, nanos, true
}

// scalarValue appends a google.protobuf.Value whose encoding, o's bytes,
// is one field that is not a message: null, a finite number, a string of
// valid UTF-8 or a bool, as kind would. It reports false for any other
// (then the message is read the long way).
func (w *wireEncoder) scalarValue(b []byte, o occurrence) ([]byte, bool) {
	v := w.src[o.start:o.end]
	num, typ, n := protowire.ConsumeTag(v)
	if n < 0 {
		return b, false
	}
	v = v[n:]
	switch {
	case num == 1 && typ == protowire.VarintType: // null_value
		if _, n := protowire.ConsumeVarint(v); n == len(v) {
			return append(b, "null"...), true
		}
	case num == 2 && typ == protowire.Fixed64Type: // number_value
		if x, n := protowire.ConsumeFixed64(v); n == len(v) {
			if f := math.Float64frombits(x); !math.IsNaN(f) && !math.IsInf(f, 0) {
				return appendFloat(b, f, 64), true
			}
		}
	case num == 3 && typ == protowire.BytesType: // string_value
		if s, n := protowire.ConsumeBytes(v); n == len(v) && utf8.Valid(s) {
			return AppendString(b, s), true
		}
	case num == 4 && typ == protowire.VarintType: // bool_value
		if x, n := protowire.ConsumeVarint(v); n == len(v) {
			return strconv.AppendBool(b, x != 0), true
		}
	}
	return b, false
}

// scan records the occurrences of p's fields in the message of occurrence
// k (and, unless one, those chained after it), with their first and last
// in w.heads from its current end. It checks what proto.Unmarshal checks of
// them: the encoding, UTF-8 in strings and packed lists; messages are
// checked when they are read.
func (w *wireEncoder) scan(p *plan, k int, one bool) error {
	base := len(w.heads)
	for range p.fields {
		w.heads = append(w.heads, -1, -1)
	}
	for ; k >= 0; k = w.occs[k].next {
		pos, end := w.occs[k].start, w.occs[k].end
		for pos < end {
			num, typ, n := protowire.ConsumeTag(w.src[pos:end])
			if n < 0 || num > protowire.MaxValidNumber {
				return errInvalid
			}
			pos += n
			i := p.index(num)
			if i < 0 || (typ != p.fields[i].wireType && !(typ == protowire.BytesType && p.fields[i].packable)) {
				// Unknown, or of another wire type: an unknown field to
				// proto.Unmarshal too.
				if n = protowire.ConsumeFieldValue(num, typ, w.src[pos:end]); n < 0 {
					return errInvalid
				}
				pos += n
				continue
			}
			f := &p.fields[i]
			o := occurrence{typ: typ, next: -1}
			if typ == protowire.BytesType {
				v, n := protowire.ConsumeBytes(w.src[pos:end])
				if n < 0 || !valid(f, v) {
					return errInvalid
				}
				o.start, o.end = pos+n-len(v), pos+n
				pos += n
			} else {
				if o.val, n = consumeScalar(typ, w.src[pos:end]); n < 0 {
					return errInvalid
				}
				pos += n
			}
			j := len(w.occs)
			w.occs = append(w.occs, o)
			if last := w.heads[base+2*i+1]; last >= 0 {
				w.occs[last].next = j
			} else {
				w.heads[base+2*i] = j
			}
			w.heads[base+2*i+1] = j
		}
		if one {
			break
		}
	}
	return nil
}

// index returns the index in p.fields of field number num, -1 for none.
func (p *plan) index(num protowire.Number) int {
	if int(num) < len(p.byNumber) {
		return int(p.byNumber[num])
	}
	if fd := p.md.Fields().ByNumber(num); fd != nil {
		return fd.Index()
	}
	return -1
}

// valid reports whether proto.Unmarshal accepts v as a length-delimited
// value of f: UTF-8 for a string, whole numbers for a packed list.
func valid(f *fieldPlan, v []byte) bool {
	switch {
	case f.fd.Kind() == protoreflect.StringKind:
		return utf8.Valid(v)
	case f.packable:
		for len(v) > 0 {
			_, n := consumeScalar(f.wireType, v)
			if n < 0 {
				return false
			}
			v = v[n:]
		}
	}
	return true
}

// consumeScalar reads a varint or fixed-size value of wire type typ.
func consumeScalar(typ protowire.Type, b []byte) (uint64, int) {
	switch typ {
	case protowire.VarintType:
		return protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		v, n := protowire.ConsumeFixed32(b)
		return uint64(v), n
	case protowire.Fixed64Type:
		return protowire.ConsumeFixed64(b)
	}
	return 0, -1
}

// render appends the JSON of a scanned message whose fields' occurrences
// are in w.heads from base.
func (w *wireEncoder) render(b []byte, p *plan, base, depth int) ([]byte, error) {
	switch p.kind {
	case timestamp, duration:
		secs, nanos := int64(w.value(base, 0)), int64(int32(w.value(base, 1)))
		if p.kind == timestamp {
			return appendTimestamp(b, secs, nanos)
		}
		return appendDuration(b, secs, nanos)
	case structMsg, listValue, wrapper:
		return w.field(b, &p.fields[0], w.heads[base], w.heads[base+1], depth)
	case valueMsg:
		return w.kind(b, p, base, depth)
	}
	// A plain message; google.protobuf.Empty, which has no fields, is {}.
	b = append(b, '{')
	first := true
	var err error
	for i := range p.fields {
		f := &p.fields[i]
		k := w.heads[base+2*i]
		if f.inOneof {
			if k, err = w.member(p, base, i, depth); err != nil {
				return b, err
			}
			if k < 0 {
				continue
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		if k < 0 && f.presence {
			b = append(b, "null"...)
			continue
		}
		if b, err = w.field(b, f, k, w.heads[base+2*i+1], depth); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// value returns the last value of scalar field i of a scanned message, 0
// if it has none.
func (w *wireEncoder) value(base, i int) uint64 {
	if last := w.heads[base+2*i+1]; last >= 0 {
		return w.occs[last].val
	}
	return 0
}

// member returns where oneof member i of a scanned message starts: setting
// a member clears the others, so its value is its occurrences after the
// last occurrence of another member; -1 if it has none. Messages of it set
// before that are parsed by proto.Unmarshal all the same, so they are
// checked.
func (w *wireEncoder) member(p *plan, base, i, depth int) (int, error) {
	f := &p.fields[i]
	cut := -1
	for _, j := range f.rivals {
		cut = max(cut, w.heads[base+2*j+1])
	}
	k := w.heads[base+2*i]
	for ; k >= 0 && k < cut; k = w.occs[k].next {
		if f.msg != nil {
			if err := w.check(f.msg, k, true, depth); err != nil {
				return -1, err
			}
		}
	}
	return k, nil
}

// check parses a message that the output does not show (from occurrence k,
// and unless one the occurrences chained after it), as proto.Unmarshal
// does, for its errors.
func (w *wireEncoder) check(p *plan, k int, one bool, depth int) error {
	_, err := w.message(nil, p, k, one, depth+1)
	return err
}

// kind appends a google.protobuf.Value: its member of oneof kind set last.
func (w *wireEncoder) kind(b []byte, p *plan, base, depth int) ([]byte, error) {
	set := false
	for i := range p.fields {
		k, err := w.member(p, base, i, depth)
		if err != nil {
			return b, err
		}
		if k < 0 {
			continue
		}
		f := &p.fields[i]
		if f.fd.Kind() == protoreflect.DoubleKind {
			if v := math.Float64frombits(w.value(base, i)); math.IsNaN(v) || math.IsInf(v, 0) {
				return b, errFallback // protojson refuses them
			}
		}
		if b, err = w.field(b, f, k, w.heads[base+2*i+1], depth); err != nil {
			return b, err
		}
		set = true
	}
	if !set {
		return b, errFallback // protojson: none of the oneof fields is set
	}
	return b, nil
}

// field appends the value of field f whose occurrences run from first to
// last (-1: none).
func (w *wireEncoder) field(b []byte, f *fieldPlan, first, last, depth int) ([]byte, error) {
	switch {
	case f.shape == listShape:
		return w.list(b, f, first, depth)
	case f.shape == mapShape:
		return w.mapField(b, f, first, depth)
	case f.msg != nil:
		return w.message(b, f.msg, first, false, depth+1)
	case last < 0:
		return appendSingular(b, f.fd.Default(), f.fd, nil)
	}
	return w.scalar(b, f.fd, w.occs[last])
}

// scalar appends a value of a field that is not a message.
func (w *wireEncoder) scalar(b []byte, fd protoreflect.FieldDescriptor, o occurrence) ([]byte, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return AppendString(b, w.src[o.start:o.end]), nil
	case protoreflect.BytesKind:
		return appendSingular(b, protoreflect.ValueOfBytes(w.src[o.start:o.end]), fd, nil)
	}
	return appendSingular(b, number(fd.Kind(), o.val), fd, nil)
}

// number is the value of a number field of kind k whose wire value is v,
// as proto.Unmarshal converts it.
func number(k protoreflect.Kind, v uint64) protoreflect.Value {
	switch k {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(v != 0)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(v)))
	case protoreflect.Int32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(v))
	case protoreflect.Sint32Kind:
		return protoreflect.ValueOfInt32(int32(protowire.DecodeZigZag(v & math.MaxUint32)))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(v))
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(v))
	case protoreflect.Sint64Kind:
		return protoreflect.ValueOfInt64(protowire.DecodeZigZag(v))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(v)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(math.Float32frombits(uint32(v)))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(math.Float64frombits(v))
	}
	return protoreflect.Value{}
}

// list appends a list field from its first occurrence k.
func (w *wireEncoder) list(b []byte, f *fieldPlan, k, depth int) ([]byte, error) {
	b = append(b, '[')
	n := 0
	var err error
	for ; k >= 0; k = w.occs[k].next {
		o := w.occs[k]
		if o.typ == protowire.BytesType && f.packable {
			for v := w.src[o.start:o.end]; len(v) > 0; n++ {
				x, m := consumeScalar(f.wireType, v) // checked by scan
				v = v[m:]
				if n > 0 {
					b = append(b, ',')
				}
				if b, err = appendSingular(b, number(f.fd.Kind(), x), f.fd, nil); err != nil {
					return b, err
				}
			}
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		if f.msg != nil {
			b, err = w.message(b, f.msg, k, true, depth+1)
		} else {
			b, err = w.scalar(b, f.fd, o)
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// mapField appends a map field from its first entry k, keys in protojson's
// order, the last entry of each key.
func (w *wireEncoder) mapField(b []byte, f *fieldPlan, k, depth int) ([]byte, error) {
	if !f.entry.ok {
		return b, errFallback
	}
	start := len(w.entries)
	defer func() { w.entries = w.entries[:start] }()
	kfd, vfd := f.fd.MapKey(), f.fd.MapValue()
	for ; k >= 0; k = w.occs[k].next {
		base := len(w.heads)
		if err := w.scan(f.entry, k, true); err != nil {
			return b, err
		}
		e := mapEntry{first: w.heads[base+2], last: w.heads[base+3]}
		last := w.heads[base+1]
		switch {
		case kfd.Kind() != protoreflect.StringKind:
			e.key = number(kfd.Kind(), w.value(base, 0)).MapKey()
		case last >= 0:
			e.skey = w.src[w.occs[last].start:w.occs[last].end]
		}
		w.heads = w.heads[:base]
		w.entries = append(w.entries, e)
	}
	entries := w.entries[start:]
	keyKind := kfd.Kind()
	compare := func(x, y mapEntry) int {
		if keyKind == protoreflect.StringKind {
			return bytes.Compare(x.skey, y.skey)
		}
		return compareKeys(keyKind, x.key, y.key)
	}
	slices.SortStableFunc(entries, compare)
	b = append(b, '{')
	n := 0
	var err error
	for i, e := range entries {
		if i+1 < len(entries) && compare(e, entries[i+1]) == 0 {
			// A later entry of the same key replaces this one.
			if f.msg != nil {
				if err := w.check(f.msg, e.first, false, depth); err != nil {
					return b, err
				}
			}
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		if keyKind == protoreflect.StringKind {
			b = AppendString(b, e.skey)
		} else {
			b = AppendString(b, e.key.String())
		}
		b = append(b, ':')
		if f.msg != nil {
			b, err = w.message(b, f.msg, e.first, false, depth+1)
		} else if e.last < 0 {
			b, err = appendSingular(b, vfd.Default(), vfd, nil)
		} else {
			b, err = w.scalar(b, vfd, w.occs[e.last])
		}
		if err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
