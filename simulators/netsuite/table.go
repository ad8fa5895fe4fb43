package netsuite

import (
	"maps"
	"slices"
	"sort"
	"time"
)

// rec is a record in NetSuite's shape, before rendering: values are
// strings, float64, bool, time.Time (datetimes), ref (links to other
// records), rec (subrecords) and []rec (sublists). Keys starting with "_"
// are kept out of the JSON.
type rec = map[string]any

// ref links to another record: rendered {"links", "id", "refName"}.
type ref struct {
	Type, ID, Name string
}

// table is one record type: n seeded records, generated from their index
// whenever they are read and never stored, and an overlay of the records
// changed, created or deleted through the API. Seeded record i (1..n) has
// internal id base+i and a lastModifiedDate growing with i, so a date bound
// is found by binary search and 100,000 purchase orders cost no memory.
type table struct {
	typ     string
	base, n int
	seed    func(i int) rec
	// modified is seeded record i's lastModifiedDate (unix seconds); nil for
	// types without one, which q cannot filter.
	modified func(i int) int64
	// filterable says whether q may filter on lastModifiedDate.
	filterable bool
	// build makes a record from a request body (old is nil on create);
	// nil when the type cannot be written through the simulator.
	build func(s *Server, old rec, body map[string]any, replace []string) (rec, *apiError)
	// apply runs a transaction's side effects (undo reverses them).
	apply func(s *Server, r rec, undo bool) *apiError

	over map[int]rec // nil marks a deletion
	ids  []int       // the overlay's ids, sorted
	eids map[string]int
}

func newTable(typ string, base, n int, seed func(int) rec, modified func(int) int64) *table {
	return &table{typ: typ, base: base, n: n, seed: seed, modified: modified, over: map[int]rec{}, eids: map[string]int{}}
}

// get returns the live record of an internal id (a seeded record is a
// fresh copy; an overlay record is the stored one).
func (t *table) get(id int) (rec, bool) {
	if r, ok := t.over[id]; ok {
		return r, r != nil
	}
	if i := id - t.base; i >= 1 && i <= t.n {
		return t.seed(i), true
	}
	return nil, false
}

// byExternalID returns the internal id of a live record with an external id.
func (t *table) byExternalID(eid string) (int, bool) {
	id, ok := t.eids[eid]
	if !ok {
		return 0, false
	}
	_, live := t.get(id)
	return id, live
}

// put stores a changed or created record (nil deletes it).
func (t *table) put(id int, r rec) {
	if _, ok := t.over[id]; !ok {
		i := sort.SearchInts(t.ids, id)
		t.ids = slices.Insert(t.ids, i, id)
	}
	if old := t.over[id]; old != nil {
		if eid, _ := old["externalId"].(string); eid != "" {
			delete(t.eids, eid)
		}
	}
	t.over[id] = r
	if r != nil {
		if eid, _ := r["externalId"].(string); eid != "" {
			t.eids[eid] = id
		}
	}
}

// span is a bound on lastModifiedDate: from (inclusive) to until
// (exclusive), unix seconds; zero means unbounded.
type span struct {
	from, until int64
}

func (b span) has(v int64) bool {
	return (b.from == 0 || v >= b.from) && (b.until == 0 || v < b.until)
}

func lastModified(r rec) int64 {
	if t, ok := r["lastModifiedDate"].(time.Time); ok {
		return t.Unix()
	}
	return 0
}

// match returns, in id order, the live records' ids within the bounds.
func (t *table) match(bounds []span) []int {
	ok := func(v int64) bool {
		for _, b := range bounds {
			if !b.has(v) {
				return false
			}
		}
		return true
	}
	lo, hi := 1, t.n
	if t.modified != nil {
		for _, b := range bounds {
			if b.from != 0 {
				lo = max(lo, 1+sort.Search(t.n, func(k int) bool { return t.modified(k+1) >= b.from }))
			}
			if b.until != 0 {
				hi = min(hi, sort.Search(t.n, func(k int) bool { return t.modified(k+1) >= b.until }))
			}
		}
	}
	out := make([]int, 0, max(hi-lo+1, 0)+len(t.ids))
	j := 0
	emit := func() {
		if r := t.over[t.ids[j]]; r != nil && ok(lastModified(r)) {
			out = append(out, t.ids[j])
		}
		j++
	}
	for i := lo; i <= hi; i++ {
		id := t.base + i
		for j < len(t.ids) && t.ids[j] < id {
			emit()
		}
		if j < len(t.ids) && t.ids[j] == id {
			emit() // the overlay shadows the seeded record
			continue
		}
		out = append(out, id)
	}
	for j < len(t.ids) {
		emit()
	}
	return out
}

// clone copies a record deeply enough to change it: its maps and sublists.
func clone(r rec) rec {
	out := maps.Clone(r)
	for k, v := range out {
		switch x := v.(type) {
		case rec:
			out[k] = clone(x)
		case []rec:
			lines := make([]rec, len(x))
			for i, l := range x {
				lines[i] = clone(l)
			}
			out[k] = lines
		}
	}
	return out
}
