package maximo

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendMember writes rec as a lean JSON object: its href (under the
// collection URI base), then, when f is not nil, its _rowstamp and the
// selected attributes in schema order. Nulls are left out, as Maximo does.
func appendMember(b []byte, os *objectStructure, base string, rec record, f *fields) []byte {
	b = append(b, `{"href":"`...)
	b = appendHref(b, os, base, rec)
	b = append(b, '"')
	if f != nil {
		b = append(b, `,"_rowstamp":`...)
		b = appendString(b, str(rec, "_rowstamp"))
		b = appendFields(b, os.attrs, rec, f, true)
	}
	return append(b, '}')
}

// appendFields writes the selected attributes of rec as JSON object fields;
// comma says whether a field has been written before them.
func appendFields(b []byte, attrs []attr, rec record, f *fields, comma bool) []byte {
	for i := range attrs {
		if !f.in[i] {
			continue
		}
		a := &attrs[i]
		v, ok := rec[a.name]
		if !ok || v == nil {
			continue
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, '"')
		b = append(b, a.name...)
		b = append(b, '"', ':')
		if a.kind == rows {
			b = appendRows(b, a.child, v.([]record), f.sub[i])
		} else {
			b = appendValue(b, v)
		}
	}
	return b
}

func appendRows(b []byte, child *childObject, rs []record, f *fields) []byte {
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendFields(b, child.attrs, r, f, false)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case date:
		b = append(b, '"')
		return append(appendDate(b, v), '"')
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendHref writes the member URI of rec: base, "/_" and the key values
// joined by "/", in base64 with "=" written as "-" (and "+", "/" as ".",
// "_"), as Maximo writes it. Bases and key values need no JSON escaping.
func appendHref(b []byte, os *objectStructure, base string, rec record) []byte {
	b = append(b, base...)
	b = append(b, '/', '_')
	var raw [128]byte
	vals := raw[:0]
	for i, k := range os.keys {
		if i > 0 {
			vals = append(vals, '/')
		}
		vals = append(vals, str(rec, k)...)
	}
	start := len(b)
	b = base64.StdEncoding.AppendEncode(b, vals)
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '=':
			b[i] = '-'
		case '+':
			b[i] = '.'
		case '/':
			b[i] = '_'
		}
	}
	return b
}

var idUnreplacer = strings.NewReplacer("-", "=", ".", "+", "_", "/")

func decodeID(id string) ([]string, bool) {
	raw, err := base64.StdEncoding.DecodeString(idUnreplacer.Replace(strings.TrimPrefix(id, "_")))
	if err != nil {
		return nil, false
	}
	return strings.Split(string(raw), "/"), true
}
