package maximo

import (
	"errors"
	"strconv"
	"strings"
)

// selection is a parsed oslc.select or properties list: "*" or attribute
// names, child objects optionally with their own list (poline{itemnum,orderqty}).
// Names that are not attributes of the object structure select nothing.
type selection struct {
	all   bool
	names map[string]*selection // nil value: the whole child object
}

func parseSelect(s string) (*selection, error) {
	sel, rest, err := parseSelectList(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, errors.New("unexpected \"}\" in the selection")
	}
	return sel, nil
}

// parseSelectList parses a comma list up to an unmatched "}" or the end and
// returns what follows it.
func parseSelectList(s string) (*selection, string, error) {
	sel := &selection{names: map[string]*selection{}}
	for {
		s = strings.TrimLeft(s, " ")
		i := strings.IndexAny(s, ",{}")
		if i < 0 {
			i = len(s)
		}
		name := strings.ToLower(strings.TrimSpace(s[:i]))
		s = s[i:]
		var sub *selection
		if strings.HasPrefix(s, "{") {
			var err error
			sub, s, err = parseSelectList(s[1:])
			if err != nil {
				return nil, "", err
			}
			if !strings.HasPrefix(s, "}") {
				return nil, "", errors.New("missing \"}\" in the selection of " + strconv.Quote(name))
			}
			s = s[1:]
		}
		switch name {
		case "*":
			sel.all = true
		case "":
		default:
			sel.names[name] = sub
		}
		if !strings.HasPrefix(s, ",") {
			return sel, s, nil
		}
		s = s[1:]
	}
}

// fields is a selection resolved against a list of attributes: which are
// written, and for child objects, which of their attributes.
type fields struct {
	in  []bool
	sub []*fields
}

// allFields selects every attribute.
var allFields = &selection{all: true}

func (sel *selection) fields(attrs []attr) *fields {
	f := &fields{in: make([]bool, len(attrs)), sub: make([]*fields, len(attrs))}
	for i, a := range attrs {
		sub, named := sel.names[a.name]
		f.in[i] = named || sel.all
		if f.in[i] && a.kind == rows {
			if sub == nil {
				sub = allFields
			}
			f.sub[i] = sub.fields(a.child.attrs)
		}
	}
	return f
}
