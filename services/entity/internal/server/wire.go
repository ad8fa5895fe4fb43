package server

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/millwright-dev/millwright/services/entity/internal/model"
	"github.com/millwright-dev/millwright/services/entity/internal/store"
)

// wrap returns a stored record for a List page or a Get without decoding it: the
// stored encoding, less its times and remote data, followed by the row's
// times (the truth: a tombstone changes them without rewriting the record),
// becomes the message's unknown fields. Encoding the message for gRPC is
// then a copy, and whoever decodes it sees every field, as decode's message
// would show it. This service must not read the fields of a wrapped message:
// List and Get only return it. The unknown fields are appended to buf, which wrap
// returns, so that a page's records share one buffer.
func wrap[M proto.Message](w wire, r store.Row, buf []byte) (M, []byte, error) {
	var zero M
	start := len(buf)
	for b := r.Data; len(b) > 0; {
		num, _, n := protowire.ConsumeField(b)
		if n < 0 {
			return zero, buf, fmt.Errorf("stored %s %s: %w", w.col.Name, r.ID, protowire.ParseError(n))
		}
		if num != w.created && num != w.updated && num != w.deleted && num != w.remote {
			buf = append(buf, b[:n]...)
		}
		b = b[n:]
	}
	buf = appendTime(buf, w.created, r.CreateTime)
	buf = appendTime(buf, w.updated, r.UpdateTime)
	buf = appendTime(buf, w.deleted, r.DeleteTime)
	m := w.col.New()
	m.ProtoReflect().SetUnknown(buf[start:len(buf):len(buf)])
	return m.(M), buf, nil
}

// wrapSize is about what wrap appends for rows: their encodings and, at
// most, three times each.
func wrapSize(rows []store.Row) int {
	n := 0
	for _, r := range rows {
		n += len(r.Data) + 3*timeSize
	}
	return n
}

// timeSize is the most appendTime appends for a field numbered below 2048:
// tag, length, and seconds and nanoseconds with their tags.
const timeSize = 2 + 1 + 1 + 10 + 1 + 5

// wire is what wrap needs of a collection: the numbers of the fields it
// replaces.
type wire struct {
	col                               *model.Collection
	created, updated, deleted, remote protowire.Number
}

func wireOf(col *model.Collection) wire {
	fields := col.Type.Descriptor().Fields()
	number := func(name string) protowire.Number { return fields.ByName(protoreflect.Name(name)).Number() }
	return wire{col, number(model.FieldCreateTime), number(model.FieldUpdateTime), number(model.FieldDeleteTime), number(model.FieldRemoteData)}
}

// appendTime appends a google.protobuf.Timestamp field; a zero time is
// unset, as model.SetTime leaves it.
func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	secs, nanos := uint64(t.Unix()), uint64(t.Nanosecond())
	size := 0
	if secs != 0 {
		size += protowire.SizeTag(1) + protowire.SizeVarint(secs)
	}
	if nanos != 0 {
		size += protowire.SizeTag(2) + protowire.SizeVarint(nanos)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	if secs != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, secs)
	}
	if nanos != 0 {
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, nanos)
	}
	return b
}
