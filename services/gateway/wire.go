package gateway

import (
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	syncv1 "github.com/millwright-dev/millwright/gen/go/millwright/sync/v1"
)

// The gateway does not decode the services' answers. Its connections to the
// services use wireCodec, which keeps an answer's protobuf encoding as the
// message's unknown fields instead of parsing it, and the marshaler writes
// the JSON of such a message from those bytes (pbjson.AppendWire), the same
// JSON as from the decoded message. Decoding a page of records into Go
// structs only to walk them again for JSON was a fifth of the CPU of a List
// through REST; this needs no change to the generated gateway code.
//
// It holds while nothing between the gRPC call and the marshaler reads the
// answer's fields. grpc-gateway does for a method with a response_body or
// an HttpBody answer, so their types are decoded as usual (see keptTypes),
// and so would a forward-response option, which the gateway does not set.

// keptTypes are the answer types kept as wire bytes: those of the unary
// methods of the services the gateway serves whose REST answer is the whole
// message.
var keptTypes = answerTypes(
	connectionv1.File_millwright_connection_v1_connection_service_proto,
	entityv1.File_millwright_entity_v1_entity_service_proto,
	syncv1.File_millwright_sync_v1_sync_service_proto,
)

func answerTypes(files ...protoreflect.FileDescriptor) map[protoreflect.FullName]bool {
	kept, read := map[protoreflect.FullName]bool{}, map[protoreflect.FullName]bool{}
	for _, f := range files {
		for i := range f.Services().Len() {
			methods := f.Services().Get(i).Methods()
			for j := range methods.Len() {
				m := methods.Get(j)
				if readsAnswer(m) {
					read[m.Output().FullName()] = true
				} else {
					kept[m.Output().FullName()] = true
				}
			}
		}
	}
	for name := range read { // a type another method reads is decoded everywhere
		delete(kept, name)
	}
	return kept
}

// readsAnswer reports whether grpc-gateway reads fields of m's answers
// (a response_body selector, an HttpBody) or m streams.
func readsAnswer(m protoreflect.MethodDescriptor) bool {
	if m.IsStreamingClient() || m.IsStreamingServer() || m.Output().FullName() == "google.api.HttpBody" {
		return true
	}
	rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		if r.GetResponseBody() != "" {
			return true
		}
	}
	return false
}

// keepAnswers is the call option of the gateway's connections to the
// services.
var keepAnswers = grpc.WithDefaultCallOptions(grpc.ForceCodecV2(wireCodec{encoding.GetCodecV2("proto")}))

// wireCodec is the protobuf codec, except that an answer of a kept type is
// not parsed: its encoding becomes the message's unknown fields.
type wireCodec struct{ encoding.CodecV2 }

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok || !keptTypes[m.ProtoReflect().Descriptor().FullName()] {
		return c.CodecV2.Unmarshal(data, v)
	}
	proto.Reset(m)
	m.ProtoReflect().SetUnknown(data.Materialize())
	return nil
}

// keptWire returns the encoding wireCodec kept on m: the unknown fields of
// a message of a kept type with no field set.
func keptWire(m proto.Message) ([]byte, bool) {
	r := m.ProtoReflect()
	if !keptTypes[r.Descriptor().FullName()] {
		return nil, false
	}
	wire := r.GetUnknown()
	if len(wire) == 0 {
		return nil, false
	}
	set := false
	r.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		set = true
		return false
	})
	return wire, !set
}
