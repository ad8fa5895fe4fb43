package connector

import (
	"errors"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// errNotJSONObject is RemoteJSON's answer to bytes that are not one JSON
// object.
var errNotJSONObject = errors.New("remote data is not one JSON object")

// RemoteJSON returns a record's remote data (Record.remote_json) from the
// system's own JSON object, as the system sent it, without the members
// named in drop at any depth (such as a transport's links or row stamps).
// It copies the bytes and never re-encodes a value, so numbers keep their
// exact digits. It fails when raw is not one JSON object.
func RemoteJSON(raw []byte, drop ...string) ([]byte, error) {
	f := jsonFilter{in: raw, out: make([]byte, 0, len(raw)), drop: drop}
	f.space()
	if f.i >= len(raw) || raw[f.i] != '{' {
		return nil, errNotJSONObject
	}
	if !f.value() {
		return nil, errNotJSONObject
	}
	f.space()
	if f.i != len(raw) {
		return nil, errNotJSONObject
	}
	return f.out, nil
}

// StructJSON returns a record's remote data from a Struct a connector
// built, as the REST API writes a Struct; nil for a nil Struct or one that
// cannot be JSON (a string of invalid UTF-8, which decoded JSON never has).
func StructJSON(s *structpb.Struct) []byte {
	if s == nil {
		return nil
	}
	b, err := pbjson.Marshal(s)
	if err != nil {
		return nil
	}
	return b
}

// jsonFilter copies a JSON value from in to out, leaving out the object
// members named in drop and the white space between tokens.
type jsonFilter struct {
	in, out []byte
	i       int
	drop    []string
}

func (f *jsonFilter) space() {
	for f.i < len(f.in) {
		switch f.in[f.i] {
		case ' ', '\t', '\n', '\r':
			f.i++
		default:
			return
		}
	}
}

// value copies one value and reports whether it was well formed.
func (f *jsonFilter) value() bool {
	f.space()
	if f.i >= len(f.in) {
		return false
	}
	switch c := f.in[f.i]; {
	case c == '{':
		return f.object()
	case c == '[':
		return f.array()
	case c == '"':
		start := f.i
		if !f.skipString() {
			return false
		}
		f.out = append(f.out, f.in[start:f.i]...)
		return true
	case c == '-' || c >= '0' && c <= '9':
		return f.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(f.in)-f.i >= len(lit) && string(f.in[f.i:f.i+len(lit)]) == lit {
				f.out = append(f.out, lit...)
				f.i += len(lit)
				return true
			}
		}
		return false
	}
}

func (f *jsonFilter) object() bool {
	f.i++ // {
	f.out = append(f.out, '{')
	first := true
	f.space()
	if f.i < len(f.in) && f.in[f.i] == '}' {
		f.i++
		f.out = append(f.out, '}')
		return true
	}
	for {
		f.space()
		if f.i >= len(f.in) || f.in[f.i] != '"' {
			return false
		}
		start := f.i
		if !f.skipString() {
			return false
		}
		key := f.in[start:f.i]
		f.space()
		if f.i >= len(f.in) || f.in[f.i] != ':' {
			return false
		}
		f.i++
		// A dropped member is still read, into the output, to check it;
		// then the output is cut back.
		mark := len(f.out)
		if !first {
			f.out = append(f.out, ',')
		}
		f.out = append(f.out, key...)
		f.out = append(f.out, ':')
		if !f.value() {
			return false
		}
		if slices.Contains(f.drop, string(key[1:len(key)-1])) {
			f.out = f.out[:mark]
		} else {
			first = false
		}
		f.space()
		if f.i >= len(f.in) {
			return false
		}
		switch f.in[f.i] {
		case ',':
			f.i++
		case '}':
			f.i++
			f.out = append(f.out, '}')
			return true
		default:
			return false
		}
	}
}

func (f *jsonFilter) array() bool {
	f.i++ // [
	f.out = append(f.out, '[')
	f.space()
	if f.i < len(f.in) && f.in[f.i] == ']' {
		f.i++
		f.out = append(f.out, ']')
		return true
	}
	for {
		if !f.value() {
			return false
		}
		f.space()
		if f.i >= len(f.in) {
			return false
		}
		switch f.in[f.i] {
		case ',':
			f.i++
			f.out = append(f.out, ',')
		case ']':
			f.i++
			f.out = append(f.out, ']')
			return true
		default:
			return false
		}
	}
}

// skipString moves past a string, checking its escapes, control
// characters and UTF-8.
func (f *jsonFilter) skipString() bool {
	f.i++ // opening quote
	for f.i < len(f.in) {
		c := f.in[f.i]
		switch {
		case c == '"':
			f.i++
			return true
		case c == '\\':
			if f.i+1 >= len(f.in) {
				return false
			}
			switch f.in[f.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				f.i += 2
			case 'u':
				if f.i+6 > len(f.in) {
					return false
				}
				for _, h := range f.in[f.i+2 : f.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				f.i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		case c < 0x80:
			f.i++
		default:
			r, n := utf8.DecodeRune(f.in[f.i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			f.i += n
		}
	}
	return false
}

// number copies a number as JSON's grammar has it.
func (f *jsonFilter) number() bool {
	start := f.i
	if f.in[f.i] == '-' {
		f.i++
	}
	digits := func() int {
		n := 0
		for f.i < len(f.in) && f.in[f.i] >= '0' && f.in[f.i] <= '9' {
			f.i++
			n++
		}
		return n
	}
	if f.i < len(f.in) && f.in[f.i] == '0' {
		f.i++
	} else if digits() == 0 {
		return false
	}
	if f.i < len(f.in) && f.in[f.i] == '.' {
		f.i++
		if digits() == 0 {
			return false
		}
	}
	if f.i < len(f.in) && (f.in[f.i] == 'e' || f.in[f.i] == 'E') {
		f.i++
		if f.i < len(f.in) && (f.in[f.i] == '+' || f.in[f.i] == '-') {
			f.i++
		}
		if digits() == 0 {
			return false
		}
	}
	f.out = append(f.out, f.in[start:f.i]...)
	return true
}
