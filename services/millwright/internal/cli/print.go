package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// jsonOptions write the API's own JSON: proto field names, every field.
var jsonOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// printer prints API responses as JSON documents (one per command, or one
// per line when following) or as tables for people.
type printer struct {
	w    io.Writer
	json bool
}

// one prints a response: as JSON whole; as a table, the fields of its
// field named field (the resource), one per line.
func (p printer) one(resp proto.Message, field string) error {
	if p.json {
		return p.jsonLine(resp)
	}
	m := resp.ProtoReflect()
	if field != "" {
		m = m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(field))).Message()
	}
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if m.Has(f) {
			fmt.Fprintf(tw, "%s:\t%s\n", f.Name(), format(f, m.Get(f)))
		}
	}
	return tw.Flush()
}

// list prints a List response: as JSON whole; as a table of the items in
// its repeated field items, one column per field path in cols (a path
// the items lack is left out).
func (p printer) list(resp proto.Message, items string, cols ...string) error {
	if p.json {
		return p.jsonLine(resp)
	}
	m := resp.ProtoReflect()
	list := m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(items))).List()
	cols = columns(m.Descriptor().Fields().ByName(protoreflect.Name(items)).Message(), cols)
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for i := range list.Len() {
		fmt.Fprintln(tw, row(list.Get(i).Message(), cols))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if list.Len() == 0 {
		fmt.Fprintf(p.w, "(no %s)\n", strings.ReplaceAll(items, "_", " "))
	}
	if f := m.Descriptor().Fields().ByName("next_page_token"); f != nil && m.Get(f).String() != "" {
		next := m.Get(f).String()
		fmt.Fprintf(p.w, "(more: --page-token %s, or --all)\n", next)
	}
	return nil
}

// follow prints one item of a stream (events tail): a JSON line, or a
// table row without header.
func (p printer) follow(item proto.Message, cols ...string) error {
	if p.json {
		return p.jsonLine(item)
	}
	_, err := fmt.Fprintln(p.w, strings.ReplaceAll(row(item.ProtoReflect(), cols), "\t", "  "))
	return err
}

func (p printer) jsonLine(m proto.Message) error {
	b, err := jsonOptions.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.w, "%s\n", b)
	return err
}

// columns keeps the paths of cols that md has.
func columns(md protoreflect.MessageDescriptor, cols []string) []string {
	return slices.DeleteFunc(slices.Clone(cols), func(path string) bool {
		d := md
		for name := range strings.SplitSeq(path, ".") {
			if d == nil {
				return true
			}
			f := d.Fields().ByName(protoreflect.Name(name))
			if f == nil {
				return true
			}
			d = f.Message()
		}
		return false
	})
}

// row is m's values at the paths cols, tab-separated.
func row(m protoreflect.Message, cols []string) string {
	vals := make([]string, len(cols))
	for i, path := range cols {
		vals[i] = at(m, path)
	}
	return strings.Join(vals, "\t")
}

// at is the formatted value of m at a dotted field path, "" when unset.
func at(m protoreflect.Message, path string) string {
	names := strings.Split(path, ".")
	for i, name := range names {
		f := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if f == nil || (!m.Has(f) && (f.Message() != nil || f.IsList() || f.IsMap())) {
			return ""
		}
		if i == len(names)-1 {
			return format(f, m.Get(f)) // an unset scalar reads as its zero
		}
		m = m.Get(f).Message()
	}
	return ""
}

// format writes one field's value for a table: enums by name, times in
// RFC 3339, lists and maps joined, structs as compact JSON, other
// messages as their fields, name=value.
func format(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case f.IsMap():
		var kv []string
		v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			kv = append(kv, k.String()+"="+scalar(f.MapValue(), v))
			return true
		})
		slices.Sort(kv)
		return strings.Join(kv, ",")
	case f.IsList():
		l := v.List()
		parts := make([]string, l.Len())
		for i := range l.Len() {
			parts[i] = scalar(f, l.Get(i))
		}
		return strings.Join(parts, ",")
	}
	return scalar(f, v)
}

func scalar(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch f.Kind() {
	case protoreflect.EnumKind:
		if ev := f.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return fmt.Sprint(v.Enum())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch m := v.Message().Interface().(type) {
		case *timestamppb.Timestamp:
			return m.AsTime().Format(time.RFC3339)
		case *durationpb.Duration:
			return m.AsDuration().String()
		case *structpb.Struct, *structpb.Value:
			b, _ := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
			return strings.Join(strings.Fields(string(b)), " ")
		}
		// Set fields in declaration order (Range's order is unspecified).
		var parts []string
		m := v.Message()
		fields := m.Descriptor().Fields()
		for i := range fields.Len() {
			if f := fields.Get(i); m.Has(f) {
				parts = append(parts, string(f.Name())+"="+format(f, m.Get(f)))
			}
		}
		return strings.Join(parts, " ")
	}
	return v.String()
}
