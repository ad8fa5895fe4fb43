package maximo

import (
	"encoding/json"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// member is one record of Maximo's lean JSON, decoded with numbers as
// json.Number so decimals keep their exact text.
type member map[string]any

// str returns a text attribute, or "".
func (m member) str(k string) string {
	s, _ := m[k].(string)
	return s
}

// num returns a numeric attribute as Maximo wrote it ("12.5"), or "".
func (m member) num(k string) string {
	switch v := m[k].(type) {
	case json.Number:
		return string(v)
	case string:
		return v
	}
	return ""
}

// integer returns an integer attribute.
func (m member) integer(k string) (int64, bool) {
	n, err := strconv.ParseInt(m.num(k), 10, 64)
	return n, err == nil
}

// flag returns a boolean attribute (false when absent).
func (m member) flag(k string) bool {
	switch v := m[k].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

// time returns a DATETIME attribute, or nil.
func (m member) time(k string) *timestamppb.Timestamp {
	s, ok := m[k].(string)
	if !ok {
		return nil
	}
	if sec, ok := parseDate(s); ok {
		return &timestamppb.Timestamp{Seconds: sec}
	}
	return nil
}

// rows returns the rows of a child object (assignment, poline ...).
func (m member) rows(k string) []member {
	list, _ := m[k].([]any)
	if len(list) == 0 {
		if one, ok := m[k].(map[string]any); ok {
			return []member{one}
		}
		return nil
	}
	out := make([]member, 0, len(list))
	for _, x := range list {
		if row, ok := x.(map[string]any); ok {
			out = append(out, row)
		}
	}
	return out
}

// dateLayout is how Maximo writes dates, and how the connector sends them:
// ISO 8601 with a numeric offset.
const dateLayout = "2006-01-02T15:04:05-07:00"

// formatDate writes a time in Maximo's date format, in UTC.
func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

// parseDate reads a Maximo date into Unix seconds. The form Maximo writes,
// 2026-06-30T14:05:00+00:00, is read without time.Parse (it is on every
// record of a listing); other ISO 8601 forms fall back to it, a date
// without an offset being UTC.
func parseDate(s string) (int64, bool) {
	if len(s) == 25 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && (s[19] == '+' || s[19] == '-') && s[22] == ':' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		oh, ok7 := digits(s[20:22])
		om, ok8 := digits(s[23:25])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h < 24 && mi < 60 && sec < 60 && oh < 24 && om < 60 {
			off := int64(oh*3600 + om*60)
			if s[19] == '-' {
				off = -off
			}
			return daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec) - off, true
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysFromCivil returns the days from 1970-01-01 to a Gregorian date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// remoteData returns the member as a Struct, without its hrefs (which name
// the server and change with it). It is built for every listed record, so
// its values are allocated together rather than one by one.
func remoteData(m member) *structpb.Struct {
	var b valueBatch
	return b.object(m)
}

// valueBatch allocates Struct values in blocks.
type valueBatch struct {
	vals []structpb.Value
	strs []structpb.Value_StringValue
	nums []structpb.Value_NumberValue
}

func (b *valueBatch) object(m map[string]any) *structpb.Struct {
	fields := make(map[string]*structpb.Value, len(m))
	for k, v := range m {
		if k == "href" || k == "localref" {
			continue
		}
		fields[k] = b.value(v, len(m))
	}
	return &structpb.Struct{Fields: fields}
}

// value converts a decoded JSON value; hint sizes a new block. Numbers
// become doubles, as a Struct holds them; the unified fields keep their
// exact text.
func (b *valueBatch) value(v any, hint int) *structpb.Value {
	if len(b.vals) == 0 {
		b.vals = make([]structpb.Value, max(hint, 8))
	}
	out := &b.vals[0]
	b.vals = b.vals[1:]
	switch v := v.(type) {
	case string:
		if len(b.strs) == 0 {
			b.strs = make([]structpb.Value_StringValue, max(hint, 8))
		}
		k := &b.strs[0]
		b.strs = b.strs[1:]
		k.StringValue = v
		out.Kind = k
	case json.Number:
		if len(b.nums) == 0 {
			b.nums = make([]structpb.Value_NumberValue, max(hint/2, 4))
		}
		k := &b.nums[0]
		b.nums = b.nums[1:]
		k.NumberValue, _ = strconv.ParseFloat(string(v), 64)
		out.Kind = k
	case bool:
		out.Kind = &structpb.Value_BoolValue{BoolValue: v}
	case []any:
		list := make([]*structpb.Value, len(v))
		for i, x := range v {
			list[i] = b.value(x, hint)
		}
		out.Kind = &structpb.Value_ListValue{ListValue: &structpb.ListValue{Values: list}}
	case map[string]any:
		out.Kind = &structpb.Value_StructValue{StructValue: b.object(v)}
	default:
		out.Kind = &structpb.Value_NullValue{}
	}
	return out
}

// customFields collects attributes the unified model has no place for:
// text, numbers (as exact text) and dates as strings, booleans as booleans.
// It returns nil when none is set.
func customFields(m member, attrs ...string) *structpb.Struct {
	var fields map[string]*structpb.Value
	for _, a := range attrs {
		var val *structpb.Value
		switch v := m[a].(type) {
		case string:
			val = &structpb.Value{Kind: &structpb.Value_StringValue{StringValue: v}}
		case json.Number:
			val = &structpb.Value{Kind: &structpb.Value_StringValue{StringValue: string(v)}}
		case bool:
			val = &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: v}}
		default:
			continue
		}
		if fields == nil {
			fields = make(map[string]*structpb.Value, len(attrs))
		}
		fields[a] = val
	}
	if fields == nil {
		return nil
	}
	return &structpb.Struct{Fields: fields}
}
