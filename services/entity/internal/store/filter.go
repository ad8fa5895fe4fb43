package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// Filter is a parsed list filter: conditions joined by AND. The zero Filter
// selects every record.
type Filter struct {
	conds []cond
}

// cond is one condition: column op value.
type cond struct {
	column string // create_time, update_time or status
	op     string // =, !=, <, <=, >, >=
	status string // the value of a status condition
	at     time.Time
}

// maxConditions caps a filter, so that no request builds a huge query.
const maxConditions = 20

var timeFields = []string{"create_time", "update_time"}

// String is the filter in a canonical form: equal filters give equal
// strings (to check that a page token is used with the filter it was made
// for, say).
func (f Filter) String() string {
	parts := make([]string, len(f.conds))
	for i, c := range f.conds {
		v := c.status
		if c.column != "status" {
			v = c.at.Format(time.RFC3339Nano)
		}
		parts[i] = c.column + " " + c.op + " " + strconv.Quote(v)
	}
	return strings.Join(parts, " AND ")
}

// Empty reports whether the filter selects every record.
func (f Filter) Empty() bool { return len(f.conds) == 0 }

// micros is a time condition on the column's integer microseconds: the
// operator and the value, minding a value finer than a microsecond (a
// column of whole microseconds is never equal to it). The operator is
// "false" or "true" for a condition that no row, or every row, meets.
func (c cond) micros() (op string, us int64) {
	us = c.at.UnixMicro() // rounded down
	if c.at.Equal(time.UnixMicro(us)) {
		return c.op, us
	}
	switch c.op {
	case "=":
		return "false", 0
	case "!=":
		return "true", 0
	case ">", ">=":
		return ">", us
	default: // <, <=
		return "<=", us
	}
}

// ParseFilter parses a list filter, a subset of AIP-160: conditions joined
// by AND, such as
//
//	update_time > "2026-01-01T00:00:00Z" AND status = "OPEN"
//
// The fields are create_time and update_time (operators =, !=, <, <=, >, >=,
// and an RFC 3339 time in double quotes) and status (= and !=, and one of
// statuses in double quotes; a collection with no statuses has no status to
// filter on). Whitespace does not matter; AND is upper case. Anything else
// is an apierr.InvalidFields error on the field "filter" whose description
// names what is not supported and where (positions count characters from 1).
func ParseFilter(s string, statuses []string) (Filter, error) {
	p := parser{toks: tokenize(s), statuses: statuses}
	return p.parse()
}

type tokKind int

const (
	tEOF    tokKind = iota
	tWord           // a bare word: a name, a keyword, an unquoted value
	tString         // a double-quoted string; text is its value
	tSingle         // a single-quoted string
	tOp             // = != < <= > >= : !
	tLParen
	tRParen
	tComma
	tBadString // an unterminated string
)

type token struct {
	kind tokKind
	text string // the value for a string, the text otherwise
	pos  int    // 1-based character position
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return "the string " + strconv.Quote(t.text)
	default:
		return strconv.Quote(t.text)
	}
}

// tokenize splits a filter into tokens; it never fails (a bad token is
// reported by the parser, which knows what it expected).
func tokenize(s string) []token {
	var toks []token
	pos := 0 // characters consumed
	i := 0
	next := func() rune {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		pos++
		return r
	}
	for i < len(s) {
		start, startPos := i, pos+1
		r := next()
		switch {
		case unicode.IsSpace(r):
		case r == '"' || r == '\'':
			var b strings.Builder
			closed := false
			for i < len(s) {
				c := next()
				if c == r {
					closed = true
					break
				}
				if c == '\\' && i < len(s) {
					c = next()
				}
				b.WriteRune(c)
			}
			kind := tString
			switch {
			case !closed:
				kind = tBadString
			case r == '\'':
				kind = tSingle
			}
			toks = append(toks, token{kind, b.String(), startPos})
		case r == '(':
			toks = append(toks, token{tLParen, "(", startPos})
		case r == ')':
			toks = append(toks, token{tRParen, ")", startPos})
		case r == ',':
			toks = append(toks, token{tComma, ",", startPos})
		case r == '=' || r == ':':
			toks = append(toks, token{tOp, string(r), startPos})
		case r == '!' || r == '<' || r == '>':
			if i < len(s) && s[i] == '=' {
				next()
			}
			toks = append(toks, token{tOp, s[start:i], startPos})
		default:
			for i < len(s) {
				c, _ := utf8.DecodeRuneInString(s[i:])
				if unicode.IsSpace(c) || strings.ContainsRune(`"'(),=:!<>`, c) {
					break
				}
				next()
			}
			toks = append(toks, token{tWord, s[start:i], startPos})
		}
	}
	return append(toks, token{tEOF, "", pos + 1})
}

type parser struct {
	toks     []token
	i        int
	statuses []string
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) peek() token { return p.toks[p.i] }

func filterError(format string, args ...any) error {
	return apierr.InvalidFields(apierr.FieldViolation{Field: "filter", Description: fmt.Sprintf(format, args...)})
}

func (p *parser) fields() string {
	if len(p.statuses) == 0 {
		return "create_time, update_time"
	}
	return "create_time, update_time, status"
}

func (p *parser) parse() (Filter, error) {
	var f Filter
	if p.peek().kind == tEOF {
		return f, nil
	}
	for {
		if len(f.conds) == maxConditions {
			return Filter{}, filterError("too many conditions: at most %d are supported", maxConditions)
		}
		c, err := p.condition()
		if err != nil {
			return Filter{}, err
		}
		f.conds = append(f.conds, c)
		t := p.next()
		switch {
		case t.kind == tEOF:
			return f, nil
		case t.kind == tWord && t.text == "AND":
			if p.peek().kind == tEOF {
				return Filter{}, filterError("expected a condition after AND at position %d, got the end of the filter", p.peek().pos)
			}
		case t.kind == tWord && strings.EqualFold(t.text, "OR"):
			return Filter{}, filterError("unsupported operator %q at position %d: only AND is supported", t.text, t.pos)
		case t.kind == tWord && strings.EqualFold(t.text, "AND"):
			return Filter{}, filterError("unexpected %q at position %d: AND is written in upper case", t.text, t.pos)
		case t.kind == tLParen || t.kind == tRParen:
			return Filter{}, filterError("unsupported parenthesis %q at position %d: only conditions joined by AND are supported", t.text, t.pos)
		default:
			return Filter{}, filterError("expected AND at position %d, got %s", t.pos, t)
		}
	}
}

// condition parses field op "value".
func (p *parser) condition() (cond, error) {
	t := p.next()
	switch {
	case t.kind == tWord && (t.text == "NOT" || strings.HasPrefix(t.text, "-")):
		op := t.text
		if op != "NOT" {
			op = "-"
		}
		return cond{}, filterError("unsupported operator %q at position %d: negation is not supported", op, t.pos)
	case t.kind == tWord && (t.text == "AND" || strings.EqualFold(t.text, "OR")):
		return cond{}, filterError("expected a condition at position %d, got %q", t.pos, t.text)
	case t.kind == tLParen || t.kind == tRParen:
		return cond{}, filterError("unsupported parenthesis %q at position %d: only conditions joined by AND are supported", t.text, t.pos)
	case t.kind != tWord:
		return cond{}, filterError("expected a field name at position %d, got %s", t.pos, t)
	}
	field := t.text
	if p.peek().kind == tLParen {
		return cond{}, filterError("unsupported function %q at position %d: functions are not supported", field, t.pos)
	}
	switch {
	case slices.Contains(timeFields, field):
	case field == "status" && len(p.statuses) > 0:
	case field == "status":
		return cond{}, filterError("unknown field \"status\" at position %d: this collection has no status; filterable fields are %s", t.pos, p.fields())
	default:
		return cond{}, filterError("unknown field %q at position %d: filterable fields are %s", field, t.pos, p.fields())
	}

	o := p.next()
	switch {
	case o.kind == tOp && o.text == ":":
		return cond{}, filterError("unsupported operator \":\" (has) at position %d: use =, !=, <, <=, > or >=", o.pos)
	case o.kind == tOp && o.text != "!":
	case o.kind == tEOF:
		return cond{}, filterError("expected an operator after %q at position %d, got the end of the filter", field, o.pos)
	default:
		return cond{}, filterError("unsupported operator %s at position %d: use =, !=, <, <=, > or >=", o, o.pos)
	}
	op := o.text

	v := p.next()
	switch v.kind {
	case tString:
	case tSingle:
		return cond{}, filterError("value of %s at position %d is in single quotes: use double quotes", field, v.pos)
	case tBadString:
		return cond{}, filterError("unterminated string at position %d", v.pos)
	case tEOF:
		return cond{}, filterError("expected a value after %s %s at position %d, got the end of the filter", field, op, v.pos)
	case tWord:
		return cond{}, filterError("value %q of %s at position %d is not quoted: write it in double quotes", v.text, field, v.pos)
	default:
		return cond{}, filterError("expected a double-quoted value at position %d, got %s", v.pos, v)
	}
	if p.peek().kind == tLParen {
		return cond{}, filterError("unsupported parenthesis \"(\" at position %d: only conditions joined by AND are supported", p.peek().pos)
	}

	if field == "status" {
		if op != "=" && op != "!=" {
			return cond{}, filterError("unsupported operator %q for status at position %d: use = or !=", op, o.pos)
		}
		if !slices.Contains(p.statuses, v.text) {
			return cond{}, filterError("unknown status %q at position %d: want one of %s", v.text, v.pos, strings.Join(p.statuses, ", "))
		}
		return cond{column: field, op: op, status: v.text}, nil
	}
	at, err := time.Parse(time.RFC3339Nano, v.text)
	if err != nil {
		return cond{}, filterError("invalid timestamp %q for %s at position %d: want RFC 3339, such as \"2026-01-01T00:00:00Z\"", v.text, field, v.pos)
	}
	return cond{column: field, op: op, at: at.UTC()}, nil
}

// Order is a list order: by a time column, then by id.
type Order struct {
	// Column is "create_time" or "update_time".
	Column string
	Desc   bool
}

// String is the order as order_by writes it.
func (o Order) String() string {
	if o.Desc {
		return o.Column + " desc"
	}
	return o.Column
}

// ParseOrderBy parses an order_by: "" (create_time), "create_time" or
// "update_time", either followed by " asc" or " desc". Anything else is an
// apierr.InvalidFields error on the field "order_by".
func ParseOrderBy(s string) (Order, error) {
	bad := func(format string, args ...any) (Order, error) {
		return Order{}, apierr.InvalidFields(apierr.FieldViolation{Field: "order_by", Description: fmt.Sprintf(format, args...)})
	}
	if strings.Contains(s, ",") {
		return bad("ordering by more than one field is not supported: order by create_time or update_time, then asc or desc")
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return Order{Column: "create_time"}, nil
	}
	if !slices.Contains(timeFields, words[0]) {
		return bad("unsupported field %q: order by create_time or update_time", words[0])
	}
	o := Order{Column: words[0]}
	if len(words) > 1 {
		switch words[1] {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			return bad("unsupported direction %q: use asc or desc", words[1])
		}
	}
	if len(words) > 2 {
		return bad("unexpected %q after %q: order by a field, then asc or desc", words[2], words[0]+" "+words[1])
	}
	return o, nil
}
