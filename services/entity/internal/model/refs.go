package model

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// MapRefs replaces every link of msg with f(target collection, value),
// stopping at the first error. Empty links stay empty.
func (c *Collection) MapRefs(msg proto.Message, f func(target *Collection, path, value string) (string, error)) error {
	for _, ref := range c.Refs {
		target := byName[ref.Target]
		parent, child, nested := strings.Cut(ref.Path, ".")
		m := msg.ProtoReflect()
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(parent))
		if !nested {
			if err := mapField(m, fd, target, ref.Path, f); err != nil {
				return err
			}
			continue
		}
		list := m.Get(fd).List()
		for i := 0; i < list.Len(); i++ {
			item := list.Get(i).Message()
			cd := item.Descriptor().Fields().ByName(protoreflect.Name(child))
			if err := mapField(item, cd, target, ref.Path, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func mapField(m protoreflect.Message, fd protoreflect.FieldDescriptor, target *Collection, path string, f func(*Collection, string, string) (string, error)) error {
	if fd.IsList() {
		if !m.Has(fd) {
			return nil
		}
		list := m.Mutable(fd).List()
		for i := 0; i < list.Len(); i++ {
			v, err := f(target, path, list.Get(i).String())
			if err != nil {
				return err
			}
			list.Set(i, protoreflect.ValueOfString(v))
		}
		return nil
	}
	v := m.Get(fd).String()
	if v == "" {
		return nil
	}
	out, err := f(target, path, v)
	if err != nil {
		return err
	}
	m.Set(fd, protoreflect.ValueOfString(out))
	return nil
}
