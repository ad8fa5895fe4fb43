package pbjson

import "google.golang.org/protobuf/reflect/protoreflect"

// AppendWireOnly is AppendWire without its fallback to proto.Unmarshal and
// Append, for tests that the wire is read where it can be.
func AppendWireOnly(b []byte, md protoreflect.MessageDescriptor, wire []byte) ([]byte, error) {
	w := encoders.Get().(*wireEncoder)
	defer w.release()
	return w.encode(b, planFor(md), wire)
}
