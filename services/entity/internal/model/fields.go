package model

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The fields every record shares.
const (
	FieldID               = "id"
	FieldRemoteID         = "remote_id"
	FieldConnection       = "connection"
	FieldCreateTime       = "create_time"
	FieldUpdateTime       = "update_time"
	FieldDeleteTime       = "delete_time"
	FieldRemoteUpdateTime = "remote_update_time"
	FieldCustomFields     = "custom_fields"
	FieldRemoteData       = "remote_data"
)

// SetString sets a string field.
func SetString(msg proto.Message, field, v string) {
	m := msg.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(field)), protoreflect.ValueOfString(v))
}

// GetString reads a string field.
func GetString(msg proto.Message, field string) string {
	m := msg.ProtoReflect()
	return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(field))).String()
}

// SetTime sets a timestamp field; the zero time clears it.
func SetTime(msg proto.Message, field string, t time.Time) {
	m := msg.ProtoReflect()
	f := m.Descriptor().Fields().ByName(protoreflect.Name(field))
	if t.IsZero() {
		m.Clear(f)
		return
	}
	m.Set(f, protoreflect.ValueOfMessage(timestamppb.New(t).ProtoReflect()))
}

// SetStruct sets a google.protobuf.Struct field; nil clears it.
func SetStruct(msg proto.Message, field string, s *structpb.Struct) {
	m := msg.ProtoReflect()
	f := m.Descriptor().Fields().ByName(protoreflect.Name(field))
	if s == nil {
		m.Clear(f)
		return
	}
	m.Set(f, protoreflect.ValueOfMessage(s.ProtoReflect()))
}

// Clear clears a field.
func Clear(msg proto.Message, field string) {
	m := msg.ProtoReflect()
	m.Clear(m.Descriptor().Fields().ByName(protoreflect.Name(field)))
}
