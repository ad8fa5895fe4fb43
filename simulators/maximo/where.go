package maximo

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// op is a comparison in an oslc.where clause.
type op uint8

const (
	opEq op = iota
	opNe
	opGt
	opGe
	opLt
	opLe
	opIn
)

var opNames = []struct {
	text string
	op   op
}{{"!=", opNe}, {">=", opGe}, {"<=", opLe}, {"=", opEq}, {">", opGt}, {"<", opLt}}

// clause is one parsed comparison: attr op value, or attr in [values].
type clause struct {
	attr   string
	op     op
	values []string
}

// parseWhere parses the oslc.where subset the simulator supports: comparisons
// (=, !=, >, >=, <, <=, in [...]) of an attribute with a "quoted" or bare
// value, joined by "and".
func parseWhere(s string) ([]clause, error) {
	sc := &scanner{s: s}
	var out []clause
	for {
		sc.space()
		name := sc.word()
		if name == "" {
			return nil, sc.errorf("an attribute name")
		}
		c := clause{attr: strings.ToLower(name)}
		sc.space()
		if sc.keyword("in") {
			c.op = opIn
			vals, err := sc.list()
			if err != nil {
				return nil, err
			}
			c.values = vals
		} else {
			o, ok := sc.op()
			if !ok {
				return nil, sc.errorf("a comparison operator")
			}
			c.op = o
			v, err := sc.value()
			if err != nil {
				return nil, err
			}
			c.values = []string{v}
		}
		out = append(out, c)
		sc.space()
		if sc.done() {
			return out, nil
		}
		switch w := sc.word(); strings.ToLower(w) {
		case "and":
		case "or":
			return nil, errors.New("\"or\" is not supported; combine clauses with \"and\" or use \"in\"")
		default:
			return nil, sc.errorf("\"and\"")
		}
	}
}

type scanner struct {
	s string
	i int
}

func (sc *scanner) done() bool { return sc.i >= len(sc.s) }

func (sc *scanner) space() {
	for !sc.done() && (sc.s[sc.i] == ' ' || sc.s[sc.i] == '\t') {
		sc.i++
	}
}

func (sc *scanner) errorf(want string) error {
	if sc.done() {
		return fmt.Errorf("expected %s at the end", want)
	}
	return fmt.Errorf("expected %s at position %d", want, sc.i+1)
}

func isWordByte(b byte) bool {
	return b == '_' || b == '.' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func (sc *scanner) word() string {
	start := sc.i
	for !sc.done() && isWordByte(sc.s[sc.i]) {
		sc.i++
	}
	return sc.s[start:sc.i]
}

// keyword consumes w when it stands as a word of its own.
func (sc *scanner) keyword(w string) bool {
	end := sc.i + len(w)
	if end > len(sc.s) || !strings.EqualFold(sc.s[sc.i:end], w) || end < len(sc.s) && isWordByte(sc.s[end]) {
		return false
	}
	sc.i = end
	return true
}

func (sc *scanner) op() (op, bool) {
	for _, o := range opNames {
		if strings.HasPrefix(sc.s[sc.i:], o.text) {
			sc.i += len(o.text)
			return o.op, true
		}
	}
	return 0, false
}

func (sc *scanner) value() (string, error) {
	sc.space()
	if sc.done() {
		return "", sc.errorf("a value")
	}
	if sc.s[sc.i] == '"' {
		end := strings.IndexByte(sc.s[sc.i+1:], '"')
		if end < 0 {
			return "", fmt.Errorf("unterminated string at position %d", sc.i+1)
		}
		v := sc.s[sc.i+1 : sc.i+1+end]
		sc.i += end + 2
		return v, nil
	}
	start := sc.i
	for !sc.done() && !strings.ContainsRune(" \t,[]\"", rune(sc.s[sc.i])) {
		sc.i++
	}
	if sc.i == start {
		return "", sc.errorf("a value")
	}
	return sc.s[start:sc.i], nil
}

func (sc *scanner) list() ([]string, error) {
	sc.space()
	if sc.done() || sc.s[sc.i] != '[' {
		return nil, sc.errorf("\"[\"")
	}
	sc.i++
	var vals []string
	for {
		v, err := sc.value()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		sc.space()
		if sc.done() {
			return nil, sc.errorf("\"]\"")
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return vals, nil
		default:
			return nil, sc.errorf("\",\" or \"]\"")
		}
	}
}

// cond is a clause bound to an attribute, with its values parsed for the
// attribute's type.
type cond struct {
	attr  *attr
	op    op
	like  bool // text pattern with % wildcards
	strs  []string
	nums  []float64
	times []time.Time
	bools []bool
}

func bindWhere(os *objectStructure, clauses []clause) ([]cond, *apiError) {
	conds := make([]cond, 0, len(clauses))
	for _, cl := range clauses {
		a := os.attr(cl.attr)
		if a == nil || a.kind == rows {
			return nil, badRequest(codeUnknownAttr, "The attribute %s in oslc.where is not in the object structure %s.",
				cl.attr, strings.ToUpper(os.name))
		}
		c := cond{attr: a, op: cl.op}
		for _, v := range cl.values {
			if err := c.add(v); err != nil {
				return nil, badRequest(codeBadQuery, "The value %q in oslc.where is not valid for the attribute %s (%s).",
					v, a.name, a.kind)
			}
		}
		if c.like && c.op != opEq && c.op != opNe {
			return nil, badRequest(codeBadQuery, "The wildcard %% can only be used with = and != in oslc.where.")
		}
		conds = append(conds, c)
	}
	return conds, nil
}

func (c *cond) add(v string) error {
	switch c.attr.kind {
	case integer, decimal:
		f, err := strconv.ParseFloat(v, 64)
		c.nums = append(c.nums, f)
		return err
	case datetime:
		t, ok := parseDate(v)
		if !ok {
			return errors.New("bad date")
		}
		c.times = append(c.times, t)
	case boolean:
		b, ok := parseBool(v)
		if !ok {
			return errors.New("bad boolean")
		}
		c.bools = append(c.bools, b)
	default:
		if strings.Contains(v, "%") {
			c.like = true
		}
		if c.attr.is(upper) {
			v = strings.ToUpper(v)
		}
		c.strs = append(c.strs, v)
	}
	return nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "y":
		return true, true
	case "0", "false", "n":
		return false, true
	}
	return false, false
}

// match reports whether rec satisfies the condition; a null never does.
func (c *cond) match(rec record) bool {
	v, ok := rec[c.attr.name]
	if !ok || v == nil {
		return false
	}
	switch c.attr.kind {
	case integer, decimal:
		f := num(rec, c.attr.name)
		return c.test(len(c.nums), func(i int) int { return cmpFloat(f, c.nums[i]) })
	case datetime:
		return c.matchTime(time.Unix(int64(v.(date)), 0))
	case boolean:
		b, _ := v.(bool)
		return c.test(len(c.bools), func(i int) int { return cmpBool(b, c.bools[i]) })
	default:
		return c.matchText(v.(string))
	}
}

func (c *cond) matchText(s string) bool {
	if c.like {
		eq := slices.ContainsFunc(c.strs, func(p string) bool { return like(p, s) })
		return eq == (c.op != opNe)
	}
	return c.test(len(c.strs), func(i int) int {
		if strings.EqualFold(s, c.strs[i]) {
			return 0
		}
		return strings.Compare(s, c.strs[i])
	})
}

func (c *cond) matchTime(t time.Time) bool {
	return c.test(len(c.times), func(i int) int { return t.Compare(c.times[i]) })
}

// test applies the operator to the comparisons of the value with each operand.
func (c *cond) test(n int, cmp func(i int) int) bool {
	if c.op == opIn {
		for i := range n {
			if cmp(i) == 0 {
				return true
			}
		}
		return false
	}
	r := cmp(0)
	switch c.op {
	case opEq:
		return r == 0
	case opNe:
		return r != 0
	case opGt:
		return r > 0
	case opGe:
		return r >= 0
	case opLt:
		return r < 0
	default:
		return r <= 0
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	if a == b {
		return 0
	}
	if b {
		return -1
	}
	return 1
}

// like matches s against a pattern where % stands for any run of characters,
// ignoring case.
func like(pattern, s string) bool {
	parts := strings.Split(strings.ToLower(pattern), "%")
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := len(parts) - 1
	for _, p := range parts[1:last] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(parts) > 1 && strings.HasSuffix(s, parts[last]) || len(parts) == 1 && s == ""
}
