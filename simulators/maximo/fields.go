package maximo

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decodeFields converts a lean JSON body to typed attribute values; a null or
// empty value clears the attribute. href, localref and _rowstamp are ignored;
// _action is kept for child rows.
func decodeFields(object string, attrs []attr, body record) (record, *apiError) {
	out := record{}
	for name, v := range body {
		n := strings.ToLower(name)
		switch n {
		case "href", "localref", "_rowstamp":
			continue
		case "_action":
			out[n] = toString(v)
			continue
		}
		a := findAttr(attrs, n)
		if a == nil {
			return nil, badRequest(codeUnknownAttr, "The attribute %s is not in the %s object.", n, object)
		}
		val, err := convert(a, v)
		if err != nil {
			return nil, err
		}
		out[n] = val
	}
	return out, nil
}

func convert(a *attr, v any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	bad := badRequest(codeBadValue, "The value %v is not valid for the attribute %s (%s).", v, a.name, a.kind)
	switch a.kind {
	case text:
		s, ok := v.(string)
		if n, isNum := v.(json.Number); isNum {
			s, ok = n.String(), true
		}
		if !ok {
			return nil, bad
		}
		if s == "" {
			return nil, nil
		}
		if a.is(upper) {
			s = strings.ToUpper(s)
		}
		if len(a.domain) > 0 && !slices.Contains(a.domain, s) {
			return nil, badRequest(codeNotInDomain, "Value %s is not valid for field %s.", s, strings.ToUpper(a.name))
		}
		return s, nil
	case integer:
		if n, err := strconv.ParseInt(toString(v), 10, 64); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(toString(v), 64); err == nil && f == float64(int64(f)) {
			return int64(f), nil
		}
	case decimal:
		if f, err := strconv.ParseFloat(toString(v), 64); err == nil {
			return f, nil
		}
	case boolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		if b, ok := parseBool(toString(v)); ok {
			return b, nil
		}
	case datetime:
		if t, ok := parseDate(toString(v)); ok {
			return date(t.Unix()), nil
		}
	case rows:
		list, ok := v.([]any)
		if m, single := v.(map[string]any); single {
			list, ok = []any{m}, true
		}
		if !ok {
			return nil, bad
		}
		rs := make([]record, 0, len(list))
		for _, item := range list {
			m, ok := item.(map[string]any)
			if !ok {
				return nil, bad
			}
			row, err := decodeFields(a.child.object, a.child.attrs, m)
			if err != nil {
				return nil, err
			}
			rs = append(rs, row)
		}
		return rs, nil
	}
	return nil, bad
}

// merge applies patch to rec, whose previous state is old (nil when new).
// Read-only attributes, and key attributes of an existing record, may only
// be sent unchanged. Child rows are merged by key when mergeRows is set
// (patchtype: MERGE), and replace the existing rows otherwise.
func (ch *change) merge(object string, attrs []attr, rec, old, patch record, mergeRows bool) *apiError {
	for name, v := range patch {
		a := findAttr(attrs, name)
		if a == nil {
			continue
		}
		if a.kind == rows {
			rs, err := ch.mergeRows(a.child, rowsOf(rec, name), rowsOf(patch, name), mergeRows)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				delete(rec, name)
			} else {
				rec[name] = rs
			}
			continue
		}
		if a.is(readOnly) || a.is(key) && old != nil {
			if !reflect.DeepEqual(rec[name], v) {
				return badRequest(codeReadOnly, "The %s field on the %s object is read-only.", a.title(), object)
			}
			continue
		}
		if v == nil {
			delete(rec, name)
		} else {
			rec[name] = v
		}
	}
	return nil
}

func (ch *change) mergeRows(child *childObject, cur, patch []record, mergeRows bool) ([]record, *apiError) {
	var out []record
	if mergeRows {
		out = slices.Clone(cur)
	}
	next := int64(0)
	for _, r := range slices.Concat(cur, patch) {
		if k, ok := r[child.key].(int64); ok {
			next = max(next, k)
		}
	}
	for _, p := range patch {
		remove := strings.EqualFold(str(p, "_action"), "delete")
		delete(p, "_action")
		match := func(r record) bool { return p[child.key] != nil && reflect.DeepEqual(r[child.key], p[child.key]) }
		var old record
		if i := slices.IndexFunc(cur, match); i >= 0 {
			old = cur[i]
		}
		i := slices.IndexFunc(out, match)
		if remove {
			if i >= 0 {
				out = slices.Delete(out, i, i+1)
			}
			continue
		}
		row := record{}
		if old != nil {
			row = cloneRecord(old)
		}
		if err := ch.merge(child.object, child.attrs, row, old, p, false); err != nil {
			return nil, err
		}
		if row[child.key] == nil && child.attr(child.key).kind == integer {
			next++
			row[child.key] = next
		}
		if i >= 0 {
			out[i] = row
		} else {
			out = append(out, row)
		}
	}
	return out, nil
}

// validate checks required values, the site and the references of the record.
func (ch *change) validate() *apiError {
	os, rec := ch.c.os, ch.rec
	if err := requireFields(os.object, os.attrs, rec); err != nil {
		return err
	}
	for _, a := range os.attrs {
		if a.kind != rows {
			continue
		}
		for _, row := range rowsOf(rec, a.name) {
			if err := requireFields(a.child.object, a.child.attrs, row); err != nil {
				return err
			}
		}
	}
	if os.attr("siteid") != nil && (ch.changed("siteid") || ch.changed("orgid")) {
		site := str(rec, "siteid")
		if _, ok := ch.s.plant.siteIndex[site]; !ok {
			return badRequest(codeBadSite, "Site %s is not valid.", site)
		}
		if org := str(rec, "orgid"); org != "" && org != orgID {
			return badRequest(codeBadSite, "Site %s is not in organization %s.", site, org)
		}
		rec["orgid"] = orgID
	}
	for _, a := range os.attrs {
		switch {
		case a.ref != nil && ch.changed(a.name) && str(rec, a.name) != "":
			if err := ch.checkRef(a.ref, str(rec, a.name), rec, nil); err != nil {
				return err
			}
		case a.kind == rows && ch.changed(a.name):
			for _, row := range rowsOf(rec, a.name) {
				for _, ca := range a.child.attrs {
					if ca.ref != nil && str(row, ca.name) != "" {
						if err := ch.checkRef(ca.ref, str(row, ca.name), row, rec); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

func requireFields(object string, attrs []attr, rec record) *apiError {
	for _, a := range attrs {
		if a.is(required) && (rec[a.name] == nil || rec[a.name] == "") {
			return badRequest(codeRequired, "A value is required for the %s field on the %s object.", a.title(), object)
		}
	}
	return nil
}

// checkRef checks that value names a live record of ref's object structure,
// its key completed from the row, then its parent record, then the defaults.
func (ch *change) checkRef(ref *reference, value string, row, parent record) *apiError {
	vals := []string{value}
	for _, sc := range ref.scope {
		v := str(row, sc)
		if v == "" && parent != nil {
			v = str(parent, sc)
		}
		if v == "" {
			v = map[string]string{"orgid": orgID, "itemsetid": itemSetID}[sc]
		}
		vals = append(vals, v)
	}
	target, ok := ch.s.cols[ref.os].lookup(joinKey(vals...))
	if !ok || ref.ok != nil && !ref.ok(target) {
		scope := ""
		if len(vals) > 1 {
			scope = vals[1]
		}
		return ref.err(value, scope)
	}
	return nil
}

// changeStatus moves the record to status to, if its status rules allow it.
func (ch *change) changeStatus(to string) *apiError {
	os := ch.c.os
	from := str(ch.rec, "status")
	failed := badRequest(codeStatusChange, "Could not change %s %s status to %s.", os.title, os.keyValue(ch.rec), to)
	_, known := os.statuses[to]
	switch {
	case !known:
		return nested(failed, badRequest(codeNotInDomain, "Value %s is not valid for field STATUS.", to))
	case to == from:
		return nested(failed, badRequest(codeSameStatus, "The status that you selected is the same as the current status. Select a different status."))
	case !slices.Contains(os.statuses[from], to):
		return nested(failed, badRequest(codeBadTransition, "The status cannot be changed from %s to %s.", from, to))
	}
	ch.rec["status"] = to
	ch.rec["statusdate"] = date(ch.now)
	if os.onStatus != nil {
		os.onStatus(ch, from, to)
	}
	return nil
}
