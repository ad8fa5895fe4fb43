package connector

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// errNotJSONObject is RemoteJSON's answer to bytes that are not one JSON
// object.
var errNotJSONObject = errors.New("remote data is not one JSON object")

// RemoteJSON returns a record's remote data (Record.remote_json) from the
// system's own JSON object, as the system sent it, without the members
// named in drop at any depth (such as a transport's links or row stamps)
// and without white space. It copies the bytes and never re-encodes a
// value, so numbers keep their exact digits; invalid UTF-8 becomes U+FFFD,
// as encoding/json reads it. It fails when raw is not one JSON object.
func RemoteJSON(raw []byte, drop ...string) ([]byte, error) {
	_, out, err := parseObject(raw, false, drop)
	return out, err
}

// DecodeRemote reads a system's JSON object in one pass: the object as
// encoding/json decodes it into a map with UseNumber (every member, numbers
// as json.Number), and its remote data as RemoteJSON returns it.
func DecodeRemote(raw []byte, drop ...string) (map[string]any, []byte, error) {
	v, out, err := parseObject(raw, true, drop)
	if err != nil {
		return nil, nil, err
	}
	return v.(map[string]any), out, nil
}

func parseObject(raw []byte, build bool, drop []string) (any, []byte, error) {
	f := jsonFilter{in: raw, out: make([]byte, 0, len(raw)), drop: drop, build: build}
	if build {
		// A member per 32 bytes of the object.
		f.src, f.hint = string(raw), min(len(raw)/32, 128)
	}
	f.space()
	if f.i >= len(raw) || raw[f.i] != '{' {
		return nil, nil, errNotJSONObject
	}
	v, ok := f.value()
	if !ok {
		return nil, nil, errNotJSONObject
	}
	f.space()
	if f.i != len(raw) {
		return nil, nil, errNotJSONObject
	}
	return v, f.out, nil
}

// ValidJSON reports whether raw is one JSON value, as json.Valid does
// (which it is held to by FuzzValidJSON), in about half the time.
func ValidJSON(raw []byte) bool {
	buf := validBufs.Get().(*[]byte)
	defer validBufs.Put(buf)
	f := jsonFilter{in: raw, out: (*buf)[:0]}
	_, ok := f.value()
	f.space()
	*buf = f.out[:0]
	return ok && f.i == len(raw)
}

// validBufs keep ValidJSON's copies, which it does not use: copying is the
// only way jsonFilter reads.
var validBufs = sync.Pool{New: func() any { return new([]byte) }}

// RemoteRecord is a record of a page DecodeRemotePage read: the object as
// DecodeRemote decodes it, and its remote data.
type RemoteRecord struct {
	Fields map[string]any
	JSON   []byte
}

// DecodeRemotePage reads a page of records as many systems send one: a JSON
// object whose member named list is an array of the records, objects, beside
// members about the page (a link to the next, a count). In one pass over
// raw, it decodes each record as DecodeRemote does (drop applies to the
// records) and returns the page's other members as they are in raw
// (checked, not decoded). A member given twice keeps its last value; a null
// or missing list is a page of no records. It fails when raw is not one
// JSON object, or its list not an array of objects.
func DecodeRemotePage(raw []byte, list string, drop ...string) ([]RemoteRecord, map[string][]byte, error) {
	f := &jsonFilter{in: raw, src: string(raw), out: make([]byte, 0, len(raw)), drop: drop}
	var records []RemoteRecord
	other := map[string][]byte{}
	var recordErr error
	err := split(f, '{', func(f *jsonFilter) bool {
		key, ok := f.memberName()
		if !ok {
			return false
		}
		f.space()
		if key != list || f.i < len(f.in) && f.in[f.i] == 'n' {
			v, ok := f.rawValue()
			if key == list {
				records = nil
			} else {
				other[key] = v
			}
			return ok
		}
		records, recordErr = f.records(records[:0])
		return recordErr == nil
	})
	if recordErr != nil {
		return nil, nil, recordErr
	}
	if err != nil {
		return nil, nil, err
	}
	return records, other, nil
}

// records appends the decoded objects of the array at f.i to out.
func (f *jsonFilter) records(out []RemoteRecord) ([]RemoteRecord, error) {
	if f.i >= len(f.in) || f.in[f.i] != '[' {
		return nil, errNotSplittable
	}
	f.i++
	f.space()
	if f.i < len(f.in) && f.in[f.i] == ']' {
		f.i++
		return out, nil
	}
	hint := 0
	for {
		f.space()
		if f.i >= len(f.in) || f.in[f.i] != '{' {
			return nil, fmt.Errorf("record %d: %w", len(out), errNotJSONObject)
		}
		mark := len(f.out)
		f.build, f.hint = true, hint
		v, ok := f.value()
		f.build = false
		if !ok {
			return nil, errNotSplittable
		}
		fields := v.(map[string]any)
		// The next record likely has as many members as this one.
		hint = len(fields)
		out = append(out, RemoteRecord{Fields: fields, JSON: f.out[mark:len(f.out):len(f.out)]})
		f.space()
		if f.i >= len(f.in) {
			return nil, errNotSplittable
		}
		switch f.in[f.i] {
		case ',':
			f.i++
		case ']':
			f.i++
			return out, nil
		default:
			return nil, errNotSplittable
		}
	}
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
// members named in drop and the white space between tokens; with build, it
// also decodes the value.
type jsonFilter struct {
	in, out []byte
	i       int
	drop    []string
	build   bool
	// src is in as a string when building: the strings and numbers built
	// are substrings of it (one copy of the input, not one per value).
	src string
	// hint is the number of members the next object built is expected to
	// have, so that its map is made once, not grown again and again.
	hint int
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

// value copies one value, returns it when building, and reports whether it
// was well formed.
func (f *jsonFilter) value() (any, bool) {
	f.space()
	if f.i >= len(f.in) {
		return nil, false
	}
	switch c := f.in[f.i]; {
	case c == '{':
		return f.object()
	case c == '[':
		return f.array()
	case c == '"':
		s, ok := f.str()
		return s, ok
	case c == '-' || c >= '0' && c <= '9':
		return f.number()
	}
	for _, lit := range [...]struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(f.in)-f.i >= len(lit.text) && string(f.in[f.i:f.i+len(lit.text)]) == lit.text {
			f.out = append(f.out, lit.text...)
			f.i += len(lit.text)
			return lit.v, true
		}
	}
	return nil, false
}

func (f *jsonFilter) object() (any, bool) {
	f.i++ // {
	f.out = append(f.out, '{')
	var obj map[string]any
	if f.build {
		obj = make(map[string]any, f.hint)
		f.hint = 0
	}
	first := true
	f.space()
	if f.i < len(f.in) && f.in[f.i] == '}' {
		f.i++
		f.out = append(f.out, '}')
		return obj, true
	}
	for {
		f.space()
		if f.i >= len(f.in) || f.in[f.i] != '"' {
			return nil, false
		}
		// The member is copied, then cut back out when dropped.
		mark := len(f.out)
		if !first {
			f.out = append(f.out, ',')
		}
		keyAt := len(f.out)
		key, ok := f.str()
		if !ok {
			return nil, false
		}
		name := f.out[keyAt+1 : len(f.out)-1]
		dropped := slices.Contains(f.drop, string(name))
		f.space()
		if f.i >= len(f.in) || f.in[f.i] != ':' {
			return nil, false
		}
		f.i++
		f.out = append(f.out, ':')
		v, ok := f.value()
		if !ok {
			return nil, false
		}
		if f.build {
			obj[key] = v
		}
		if dropped {
			f.out = f.out[:mark]
		} else {
			first = false
		}
		f.space()
		if f.i >= len(f.in) {
			return nil, false
		}
		switch f.in[f.i] {
		case ',':
			f.i++
		case '}':
			f.i++
			f.out = append(f.out, '}')
			return obj, true
		default:
			return nil, false
		}
	}
}

func (f *jsonFilter) array() (any, bool) {
	f.i++ // [
	f.out = append(f.out, '[')
	var arr []any
	if f.build {
		arr = []any{}
	}
	f.space()
	if f.i < len(f.in) && f.in[f.i] == ']' {
		f.i++
		f.out = append(f.out, ']')
		return arr, true
	}
	for {
		v, ok := f.value()
		if !ok {
			return nil, false
		}
		if f.build {
			arr = append(arr, v)
		}
		f.space()
		if f.i >= len(f.in) {
			return nil, false
		}
		switch f.in[f.i] {
		case ',':
			f.i++
			f.out = append(f.out, ',')
		case ']':
			f.i++
			f.out = append(f.out, ']')
			return arr, true
		default:
			return nil, false
		}
	}
}

// plain marks the bytes a JSON string holds as they are: ASCII but for
// the quote, the backslash and control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipPlain returns the index of the first of the 8-byte words of in from i
// on that holds a byte other than plain ones (or len(in) minus less than 8):
// a string's plain bytes eight at a time.
func skipPlain(in []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(in); i += 8 {
		x := binary.LittleEndian.Uint64(in[i:])
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		// A high bit in special marks (at least) the first byte that is a
		// quote, a backslash, below 0x20, or not ASCII.
		special := ((quote - ones) &^ quote) | ((backslash - ones) &^ backslash) | ((x - ones*0x20) &^ x) | x
		if special&highs != 0 {
			return i
		}
	}
	return i
}

// str copies a string, checking its escapes and control characters and
// writing each byte of invalid UTF-8 as U+FFFD; when building it returns
// the string's value.
func (f *jsonFilter) str() (string, bool) {
	f.i++ // opening quote
	at := len(f.out)
	f.out = append(f.out, '"')
	escaped := false
	begin := f.i
	start := f.i // of the run of bytes not yet copied
	for f.i < len(f.in) {
		f.i = skipPlain(f.in, f.i)
		for f.i < len(f.in) && plain[f.in[f.i]] {
			f.i++
		}
		if f.i == len(f.in) {
			break
		}
		c := f.in[f.i]
		switch {
		case c == '"':
			f.out = append(f.out, f.in[start:f.i]...)
			f.i++
			f.out = append(f.out, '"')
			if !f.build {
				return "", true
			}
			tok := f.out[at:]
			if !escaped {
				if len(f.src) == len(f.in) && len(tok)-2 == f.i-1-begin { // src set, nothing replaced
					return f.src[begin : f.i-1], true
				}
				return string(tok[1 : len(tok)-1]), true
			}
			var s string
			if err := json.Unmarshal(tok, &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			escaped = true
			if f.i+1 >= len(f.in) {
				return "", false
			}
			switch f.in[f.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				f.i += 2
			case 'u':
				if f.i+6 > len(f.in) {
					return "", false
				}
				for _, h := range f.in[f.i+2 : f.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return "", false
					}
				}
				f.i += 6
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			f.i++
		default:
			r, n := utf8.DecodeRune(f.in[f.i:])
			if r == utf8.RuneError && n == 1 {
				f.out = append(f.out, f.in[start:f.i]...)
				f.out = utf8.AppendRune(f.out, utf8.RuneError)
				f.i++
				start = f.i
				continue
			}
			f.i += n
		}
	}
	return "", false
}

// number copies a number as JSON's grammar has it; when building it
// returns it as a json.Number.
func (f *jsonFilter) number() (any, bool) {
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
		return nil, false
	}
	if f.i < len(f.in) && f.in[f.i] == '.' {
		f.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if f.i < len(f.in) && (f.in[f.i] == 'e' || f.in[f.i] == 'E') {
		f.i++
		if f.i < len(f.in) && (f.in[f.i] == '+' || f.in[f.i] == '-') {
			f.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	f.out = append(f.out, f.in[start:f.i]...)
	if !f.build {
		return nil, true
	}
	if len(f.src) == len(f.in) {
		return json.Number(f.src[start:f.i]), true
	}
	return json.Number(f.in[start:f.i]), true
}

// SplitObject returns the values of a JSON object's members as they are in
// raw (sub-slices, not decoded), checking that raw is one well-formed
// object; a member given twice keeps its last value. It lets a connector
// keep each record of a page as the system sent it.
func SplitObject(raw []byte) (map[string][]byte, error) {
	members := map[string][]byte{}
	err := split(&jsonFilter{in: raw}, '{', func(f *jsonFilter) bool {
		key, ok := f.memberName()
		if !ok {
			return false
		}
		v, ok := f.rawValue()
		members[key] = v
		return ok
	})
	return members, err
}

// SplitArray returns the elements of a JSON array as they are in raw
// (sub-slices, not decoded), checking that raw is one well-formed array.
func SplitArray(raw []byte) ([][]byte, error) {
	var elems [][]byte
	err := split(&jsonFilter{in: raw}, '[', func(f *jsonFilter) bool {
		v, ok := f.rawValue()
		elems = append(elems, v)
		return ok
	})
	return elems, err
}

// errNotSplittable is the answer of SplitObject and SplitArray to bytes
// that are not one JSON object or array.
var errNotSplittable = errors.New("not one well-formed JSON object or array")

// split walks the items of the object or array (open is '{' or '[') that
// is the whole of f.in, calling item at the start of each.
func split(f *jsonFilter, open byte, item func(*jsonFilter) bool) error {
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	raw := f.in
	f.space()
	if f.i >= len(raw) || raw[f.i] != open {
		return errNotSplittable
	}
	f.i++
	f.space()
	if f.i < len(raw) && raw[f.i] == closer {
		f.i++
	} else {
		for {
			f.space()
			if !item(f) {
				return errNotSplittable
			}
			f.space()
			if f.i >= len(raw) {
				return errNotSplittable
			}
			if raw[f.i] == ',' {
				f.i++
				continue
			}
			if raw[f.i] != closer {
				return errNotSplittable
			}
			f.i++
			break
		}
	}
	f.space()
	if f.i != len(raw) {
		return errNotSplittable
	}
	return nil
}

// rawValue checks the next value and returns its bytes in the input; it
// leaves out as it was.
func (f *jsonFilter) rawValue() ([]byte, bool) {
	f.space()
	start, mark := f.i, len(f.out)
	_, ok := f.value()
	f.out = f.out[:mark]
	return f.in[start:f.i], ok
}

// memberName reads an object member's name and the colon after it.
func (f *jsonFilter) memberName() (string, bool) {
	key, ok := f.decodedString()
	if !ok {
		return "", false
	}
	f.space()
	if f.i >= len(f.in) || f.in[f.i] != ':' {
		return "", false
	}
	f.i++
	return key, true
}

// decodedString reads a string and returns its value.
func (f *jsonFilter) decodedString() (string, bool) {
	if f.i >= len(f.in) || f.in[f.i] != '"' {
		return "", false
	}
	build, mark := f.build, len(f.out)
	f.build = true
	s, ok := f.str()
	f.build = build
	f.out = f.out[:mark]
	return s, ok
}
