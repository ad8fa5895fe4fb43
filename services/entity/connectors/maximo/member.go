package maximo

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// member is one record of Maximo's lean JSON, decoded with numbers as
// json.Number so decimals keep their exact text.
type member map[string]any

// str returns a text attribute, or "".
func (m member) str(k string) string {
	s, _ := m[k].(string)
	return s
}

// num returns a numeric attribute as Maximo wrote it ("12.5"), or "". A
// number in exponent form (1.25E7) is written out as a plain decimal,
// exactly.
func (m member) num(k string) string {
	switch v := m[k].(type) {
	case json.Number:
		return plainDecimal(string(v))
	case string:
		return v
	}
	return ""
}

// plainDecimal writes a JSON number without an exponent, exactly.
func plainDecimal(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	r, ok := parseDecimal(s)
	if !ok {
		return s
	}
	return r.FloatString(scale(r))
}

// parseDecimal reads a decimal number exactly; it refuses exponents beyond
// ±40 (a hostile 1e999999999 would take memory and time).
func parseDecimal(s string) (*big.Rat, bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 40 || e < -40 {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}

// scale is the number of decimal places a decimal needs.
func scale(r *big.Rat) int {
	den := r.Denom()
	pow := big.NewInt(1)
	ten := big.NewInt(10)
	rem := new(big.Int)
	for n := 0; n < 200; n++ {
		if rem.Mod(pow, den).Sign() == 0 {
			return n
		}
		pow.Mul(pow, ten)
	}
	return 200
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

// readMember reads a member as Maximo sent it (a write's answer), in one
// pass: its attributes (numbers as json.Number) and its remote data, the
// JSON without the attributes dropped.
func readMember(raw []byte) (member, []byte, error) {
	m, remote, err := connector.DecodeRemote(raw, dropped...)
	if err != nil {
		return nil, nil, apierr.New(apierr.ConnectedSystemError, "%s answered with a record that is not a JSON object: %v", systemName, err).With("system", systemName)
	}
	return m, remote, nil
}

// customFields builds a Struct for every listed record, so a string value
// and its kind are allocated as one object (half the allocations), written
// while fresh (without GC write barriers).
type stringValue struct {
	v structpb.Value
	k structpb.Value_StringValue
}

func newString(s string) *structpb.Value {
	x := &stringValue{k: structpb.Value_StringValue{StringValue: s}}
	x.v.Kind = &x.k
	return &x.v
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
			val = newString(v)
		case json.Number:
			val = newString(string(v))
		case bool:
			val = structpb.NewBoolValue(v)
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
