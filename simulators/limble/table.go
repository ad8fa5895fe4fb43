package limble

import (
	"slices"
	"sort"
)

// table is one resource: n seeded records, generated from their index
// whenever they are read and never stored, and an overlay of the records
// changed, created or deleted through the API. Seeded record i (1..n) has id
// base+i, and seeded lastEdited grows with i, so a lastEdited bound is found
// by binary search and 100,000 tasks cost no memory.
type table[T any] struct {
	base, n int
	seed    func(i int) T
	// edited is seeded record i's lastEdited; nil for resources without one.
	edited func(i int) int64
	// last is a record's lastEdited; nil for resources without one.
	last func(*T) int64
	// over holds changed and created records by id; nil marks a deletion.
	over map[int]*T
	ids  []int // the overlay's ids, sorted
	next int   // the id of the next created record
}

func newTable[T any](base, n int, seed func(int) T, edited func(int) int64, last func(*T) int64) *table[T] {
	return &table[T]{base: base, n: n, seed: seed, edited: edited, last: last, over: map[int]*T{}, next: base + n + 1}
}

// get returns the live record of an id.
func (t *table[T]) get(id int) (*T, bool) {
	if r, ok := t.over[id]; ok {
		return r, r != nil
	}
	if i := id - t.base; i >= 1 && i <= t.n {
		r := t.seed(i)
		return &r, true
	}
	return nil, false
}

// put stores a changed or created record (nil deletes it).
func (t *table[T]) put(id int, r *T) {
	if _, ok := t.over[id]; !ok {
		i := sort.SearchInts(t.ids, id)
		t.ids = slices.Insert(t.ids, i, id)
	}
	t.over[id] = r
}

// create stores a new record under a new id, set by setID.
func (t *table[T]) create(r *T, setID func(*T, int)) int {
	id := t.next
	t.next++
	setID(r, id)
	t.put(id, r)
	return id
}

// filter selects records: ids (nil for all), an id cursor (records with a
// greater id), lastEdited bounds (hasStart: > start; hasEnd: < end) and a
// predicate on the record.
type filter[T any] struct {
	ids        []int
	after      int
	start, end int64
	hasStart   bool
	hasEnd     bool
	match      func(*T) bool
}

func (f *filter[T]) editedOK(e int64) bool {
	return (!f.hasStart || e > f.start) && (!f.hasEnd || e < f.end)
}

// scan calls fn, in id order, for each record the filter selects, with a
// function returning the record (seeded records are generated only when
// asked for); it stops when fn returns false.
func (t *table[T]) scan(f *filter[T], fn func(id int, rec func() *T) bool) {
	ok := func(r *T) bool {
		if t.last != nil && !f.editedOK(t.last(r)) {
			return false
		}
		return f.match == nil || f.match(r)
	}
	if f.ids != nil {
		ids := slices.Clone(f.ids)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			if id <= f.after {
				continue
			}
			if r, found := t.get(id); found && ok(r) {
				if !fn(id, func() *T { return r }) {
					return
				}
			}
		}
		return
	}
	// The seeded range [lo, hi] that the cursor and the bounds leave.
	lo, hi := max(f.after-t.base+1, 1), t.n
	if t.edited != nil && f.hasStart {
		lo = max(lo, 1+sort.Search(t.n, func(k int) bool { return t.edited(k+1) > f.start }))
	}
	if t.edited != nil && f.hasEnd {
		hi = min(hi, sort.Search(t.n, func(k int) bool { return t.edited(k+1) >= f.end }))
	}
	j := sort.SearchInts(t.ids, f.after+1)
	i := lo
	for {
		// The next seeded id not in the overlay.
		for i <= hi {
			if _, shadowed := t.over[t.base+i]; !shadowed {
				break
			}
			i++
		}
		// The next live overlay record that the filter selects.
		var o *T
		for ; j < len(t.ids); j++ {
			if r := t.over[t.ids[j]]; r != nil && ok(r) {
				o = r
				break
			}
		}
		switch {
		case i > hi && o == nil:
			return
		case o != nil && (i > hi || t.ids[j] < t.base+i):
			id := t.ids[j]
			j++
			if !fn(id, func() *T { return o }) {
				return
			}
		default:
			k := i
			i++
			var r *T
			get := func() *T {
				if r == nil {
					v := t.seed(k)
					r = &v
				}
				return r
			}
			if f.match != nil && !f.match(get()) {
				continue
			}
			if !fn(t.base+k, get) {
				return
			}
		}
	}
}

// page lists one page: in cursor mode (page == 0) the first limit records
// after the cursor; in page mode the page-th run of limit records, with the
// total count for the paging headers.
func (t *table[T]) page(f *filter[T], limit, page int) (out []*T, total int) {
	skip := 0
	if page > 0 {
		skip = (page - 1) * limit
	}
	t.scan(f, func(_ int, rec func() *T) bool {
		if total >= skip && len(out) < limit {
			out = append(out, rec())
		}
		total++
		return page > 0 || len(out) < limit
	})
	return out, total
}
