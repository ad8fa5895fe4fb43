package sap

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// rec is one record: property name to value. Values are string, bool, dec,
// time.Time, nil (null), and, under a navigation property, []rec.
type rec map[string]any

func (r rec) str(k string) string {
	s, _ := r[k].(string)
	return s
}

func (r rec) dec(k string) dec {
	d, _ := r[k].(dec)
	return d
}

func (r rec) flag(k string) bool {
	b, _ := r[k].(bool)
	return b
}

func (r rec) time(k string) time.Time {
	t, _ := r[k].(time.Time)
	return t
}

func (r rec) children(nav string) []rec {
	c, _ := r[nav].([]rec)
	return c
}

// clone copies a record and its children.
func (r rec) clone() rec {
	out := make(rec, len(r))
	for k, v := range r {
		if c, ok := v.([]rec); ok {
			cc := make([]rec, len(c))
			for i, x := range c {
				cc[i] = x.clone()
			}
			v = cc
		}
		out[k] = v
	}
	return out
}

// dec is an exact decimal in thousandths: every decimal the simulator keeps
// has at most three places (quantities, prices, weights).
type dec int64

const decScale = 1000

func decOf(units int64) dec { return dec(units * decScale) }

var errDecimal = errors.New("is not a decimal number with at most three decimal places")

// parseDec reads "12", "-2.5", "0.125"; a trailing M (a URL literal) is
// allowed by the caller stripping it.
func parseDec(s string) (dec, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0, errDecimal
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 3 || len(whole) > 15 {
		return 0, errDecimal
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, errDecimal
		}
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "000")[:3], 10, 64)
	v := dec(w*decScale + f)
	if neg {
		v = -v
	}
	return v, nil
}

// format writes d with scale decimal places, as SAP writes Edm.Decimal.
func (d dec) format(scale int) string {
	neg := d < 0
	v := int64(d)
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v/decScale, 10)
	if scale > 0 {
		frac := fmt.Sprintf("%03d", v%decScale)
		if scale < 3 {
			frac = frac[:scale]
		} else {
			frac += strings.Repeat("0", scale-3)
		}
		s += "." + frac
	}
	if neg && v != 0 {
		s = "-" + s
	}
	return s
}

// mul multiplies two decimals, rounding to thousandths.
func (d dec) mul(e dec) dec {
	return dec(math.Round(float64(d) * float64(e) / decScale))
}

// jsonDate writes /Date(ms)/ (Edm.DateTime) or /Date(ms+0000)/
// (Edm.DateTimeOffset), SAP's OData V2 JSON date literals.
func jsonDate(t time.Time, offset bool) string {
	ms := strconv.FormatInt(t.UnixMilli(), 10)
	if offset {
		return "/Date(" + ms + "+0000)/"
	}
	return "/Date(" + ms + ")/"
}

// parseJSONDate reads /Date(ms)/, /Date(ms+hhmm)/ or an ISO date time.
func parseJSONDate(s string) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "/Date("); ok {
		rest, ok = strings.CutSuffix(rest, ")/")
		if !ok {
			return time.Time{}, errors.New("is not a /Date(ms)/ literal")
		}
		if i := strings.IndexAny(rest[1:], "+-"); i >= 0 {
			rest = rest[:i+1]
		}
		ms, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return time.Time{}, errors.New("is not a /Date(ms)/ literal")
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("is not a date")
}

// fromJSON converts a value of a request body to a property's value.
func fromJSON(p *property, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch p.Type {
	case tString:
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("must be a string")
		}
		if p.MaxLength > 0 && len([]rune(s)) > p.MaxLength {
			return nil, fmt.Errorf("is longer than %d characters", p.MaxLength)
		}
		return s, nil
	case tBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, errors.New("must be true or false")
		}
		return b, nil
	case tDecimal:
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("must be a decimal in a string (Edm.Decimal)")
		}
		return parseDec(s)
	case tDateTime, tDateTimeOffset:
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("must be a date literal such as /Date(1767225600000)/")
		}
		t, err := parseJSONDate(s)
		if err != nil {
			return nil, err
		}
		if p.Precision == 0 {
			t = t.Truncate(time.Second)
		}
		return t, nil
	}
	return nil, errors.New("cannot be set")
}

// writeValue writes a property value as SAP's JSON.
func writeValue(b *bytes.Buffer, p *property, v any) {
	switch x := v.(type) {
	case nil:
		if p.Type == tString {
			b.WriteString(`""`)
			return
		}
		if p.Type == tBoolean {
			b.WriteString("false")
			return
		}
		b.WriteString("null")
	case string:
		writeString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case dec:
		b.WriteByte('"')
		b.WriteString(x.format(p.Scale))
		b.WriteByte('"')
	case time.Time:
		b.WriteByte('"')
		b.WriteString(jsonDate(x, p.Type == tDateTimeOffset))
		b.WriteByte('"')
	default:
		b.WriteString("null")
	}
}

// writeString writes a JSON string.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 }) {
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// Literals in URLs: 'text', datetime'2026-01-01T00:00:00',
// datetimeoffset'2026-01-01T00:00:00Z', true, false, 12.5M, 12.

// parseLiteral reads a URL literal for a property.
func parseLiteral(p *property, lit string) (any, error) {
	unquote := func(prefix string) (string, bool) {
		rest, ok := strings.CutPrefix(lit, prefix+"'")
		if !ok || !strings.HasSuffix(rest, "'") || len(rest) < 1 {
			return "", false
		}
		return strings.ReplaceAll(rest[:len(rest)-1], "''", "'"), true
	}
	switch p.Type {
	case tString:
		if s, ok := unquote(""); ok {
			return s, nil
		}
		return nil, fmt.Errorf("%s is not a string literal for %s", lit, p.Name)
	case tBoolean:
		switch lit {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%s is not a boolean literal for %s", lit, p.Name)
	case tDecimal:
		d, err := parseDec(strings.TrimSuffix(strings.TrimSuffix(lit, "M"), "m"))
		if err != nil {
			return nil, fmt.Errorf("%s is not a decimal literal for %s", lit, p.Name)
		}
		return d, nil
	case tDateTime, tDateTimeOffset:
		prefix := "datetime"
		if p.Type == tDateTimeOffset {
			prefix = "datetimeoffset"
		}
		s, ok := unquote(prefix)
		if !ok {
			return nil, fmt.Errorf("%s is not a %s literal for %s", lit, prefix, p.Name)
		}
		t, err := parseJSONDate(s)
		if err != nil {
			return nil, fmt.Errorf("%s is not a %s literal for %s", lit, prefix, p.Name)
		}
		return t, nil
	}
	return nil, fmt.Errorf("%s cannot be compared", p.Name)
}

// literal writes a key value as a URL literal.
func literal(p *property, v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		if p.Type == tDateTimeOffset {
			return "datetimeoffset'" + x.UTC().Format("2006-01-02T15:04:05Z") + "'"
		}
		return "datetime'" + x.UTC().Format("2006-01-02T15:04:05") + "'"
	case bool:
		return strconv.FormatBool(x)
	case dec:
		return x.format(p.Scale) + "M"
	}
	return "''"
}

// compare orders two values of one property: -1, 0, 1.
func compare(a, b any) int {
	if a == nil {
		switch b.(type) {
		case string:
			a = ""
		case bool:
			a = false
		case dec:
			a = dec(0)
		case time.Time:
			a = time.Time{}
		}
	}
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(x, y)
	case dec:
		y, _ := b.(dec)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case nil:
		if b == nil {
			return 0
		}
		return -1
	}
	return 0
}
