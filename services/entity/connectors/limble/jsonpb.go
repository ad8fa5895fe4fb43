package limble

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
)

// parseValue parses JSON straight into a structpb.Value, for listings: one
// pass, no reflection and no intermediate map[string]any (encoding/json
// into any, then structpb.NewStruct, costs about twice as much; protojson
// four times). Strings with escapes are unquoted by encoding/json.
type jsonParser struct {
	b []byte
	i int
}

var errJSON = errors.New("invalid JSON")

func parseJSON(b []byte) (*structpb.Value, error) {
	p := &jsonParser{b: b}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.b) {
		return nil, errJSON
	}
	return v, nil
}

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*structpb.Value, error) {
	if depth > 64 {
		return nil, errors.New("JSON nested too deeply")
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, errJSON
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		fields := map[string]*structpb.Value{}
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return structpb.NewStructValue(&structpb.Struct{Fields: fields}), nil
		}
		for {
			p.space()
			k, err := p.string()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, errJSON
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			fields[k] = v
			p.space()
			if p.i >= len(p.b) {
				return nil, errJSON
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] != '}' {
				return nil, errJSON
			}
			p.i++
			return structpb.NewStructValue(&structpb.Struct{Fields: fields}), nil
		}
	case c == '[':
		p.i++
		var vals []*structpb.Value
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return structpb.NewListValue(&structpb.ListValue{Values: vals}), nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			p.space()
			if p.i >= len(p.b) {
				return nil, errJSON
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] != ']' {
				return nil, errJSON
			}
			p.i++
			return structpb.NewListValue(&structpb.ListValue{Values: vals}), nil
		}
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return structpb.NewStringValue(s), nil
	case c == 't':
		return p.literal("true", structpb.NewBoolValue(true))
	case c == 'f':
		return p.literal("false", structpb.NewBoolValue(false))
	case c == 'n':
		return p.literal("null", structpb.NewNullValue())
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		for p.i < len(p.b) {
			c := p.b[p.i]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				p.i++
				continue
			}
			break
		}
		text := p.b[start:p.i]
		if !json.Valid(text) {
			return nil, errJSON
		}
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			return nil, errJSON
		}
		return structpb.NewNumberValue(f), nil
	}
	return nil, errJSON
}

func (p *jsonParser) literal(word string, v *structpb.Value) (*structpb.Value, error) {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return nil, errJSON
	}
	p.i += len(word)
	return v, nil
}

// string reads a JSON string.
func (p *jsonParser) string() (string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", errJSON
	}
	start := p.i
	p.i++
	plain := true
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if plain {
				s := p.b[start+1 : p.i-1]
				if !utf8.Valid(s) {
					// As encoding/json does (protobuf strings must be UTF-8).
					return strings.ToValidUTF8(string(s), "\uFFFD"), nil
				}
				return string(s), nil
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", errJSON
			}
			return s, nil
		case c == '\\':
			plain = false
			p.i += 2
		case c < 0x20:
			return "", errJSON
		default:
			p.i++
		}
	}
	return "", errJSON
}
