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

// wrap returns a stored record for a List page without decoding it: the
// stored encoding, less its times and remote data, followed by the row's
// times (the truth: a tombstone changes them without rewriting the record),
// becomes the message's unknown fields. Encoding the message for gRPC is
// then a copy, and whoever decodes it sees every field, as decode's message
// would show it. This service must not read the fields of a wrapped message:
// List only returns it.
func wrap[M proto.Message](w wire, r store.Row) (M, error) {
	var zero M
	out := make([]byte, 0, len(r.Data)+3*16)
	for b := r.Data; len(b) > 0; {
		num, _, n := protowire.ConsumeField(b)
		if n < 0 {
			return zero, fmt.Errorf("stored %s %s: %w", w.col.Name, r.ID, protowire.ParseError(n))
		}
		if num != w.created && num != w.updated && num != w.deleted && num != w.remote {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	out = appendTime(out, w.created, r.CreateTime)
	out = appendTime(out, w.updated, r.UpdateTime)
	out = appendTime(out, w.deleted, r.DeleteTime)
	m := w.col.New()
	m.ProtoReflect().SetUnknown(out)
	return m.(M), nil
}

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
	var ts []byte
	if s := t.Unix(); s != 0 {
		ts = protowire.AppendTag(ts, 1, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(s))
	}
	if n := t.Nanosecond(); n != 0 {
		ts = protowire.AppendTag(ts, 2, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(n))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}
