package netsuite

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// renderer writes records in NetSuite's JSON shape, straight to bytes (a
// record is read far more often than anything else): object keys sorted,
// references with their links, sublists and subrecords as links unless
// expanded.
type renderer struct {
	base   string
	expand bool
}

// record appends a record of a type, with its self link.
func (rd renderer) record(b []byte, typ string, r rec) []byte {
	self := rd.base + typ + "/" + r["id"].(string)
	return rd.object(b, self, r, self)
}

// object appends a record's fields and its links: to self, or none when
// self is empty (a sublist line).
func (rd renderer) object(b []byte, path string, r rec, self string) []byte {
	keys := make([]string, 0, len(r)+1)
	for k := range r {
		if !strings.HasPrefix(k, "_") && k != "links" {
			keys = append(keys, k)
		}
	}
	keys = append(keys, "links")
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if k == "links" {
			b = appendLinks(b, self)
			continue
		}
		b = rd.value(b, path+"/"+k, r[k])
	}
	return append(b, '}')
}

// appendLinks appends [{"href", "rel": "self"}], or [] without href.
func appendLinks(b []byte, href string) []byte {
	if href == "" {
		return append(b, "[]"...)
	}
	b = append(b, `[{"href":`...)
	b = appendString(b, href)
	return append(b, `,"rel":"self"}]`...)
}

// value appends one field; path is its URL (sublists and subrecords are
// links to it unless expanded).
func (rd renderer) value(b []byte, path string, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendString(b, x)
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case bool:
		return strconv.AppendBool(b, x)
	case nil:
		return append(b, "null"...)
	case time.Time:
		return appendString(b, x.UTC().Format(time.RFC3339))
	case ref:
		b = append(b, `{"id":`...)
		b = appendString(b, x.ID)
		if x.Type != "" {
			b = append(b, `,"links":`...)
			b = appendLinks(b, rd.base+x.Type+"/"+x.ID)
		}
		b = append(b, `,"refName":`...)
		return append(appendString(b, x.Name), '}')
	case rec:
		if _, plain := x["refName"]; plain {
			return rd.plain(b, x) // a select value such as a country or a status
		}
		if !rd.expand {
			return append(appendLinks(append(b, `{"links":`...), path), '}')
		}
		return rd.object(b, path, x, path)
	case []rec:
		if !rd.expand {
			return append(appendLinks(append(b, `{"links":`...), path), '}')
		}
		n := strconv.Itoa(len(x))
		b = append(b, `{"count":`+n+`,"hasMore":false,"items":[`...)
		for i, l := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = rd.object(b, path, l, "")
		}
		b = append(b, `],"links":`...)
		b = appendLinks(b, path)
		return append(b, `,"offset":0,"totalResults":`+n+`}`...)
	}
	raw, _ := json.Marshal(v)
	return append(b, raw...)
}

// plain appends a select value's fields, without links.
func (rd renderer) plain(b []byte, x rec) []byte {
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		b = rd.value(b, "", x[k])
	}
	return append(b, '}')
}

// appendString appends a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}
