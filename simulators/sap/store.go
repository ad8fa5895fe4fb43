package sap

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// table holds one entity set's records: n seeded records, generated from
// their index whenever they are read (so 100,000 maintenance orders cost no
// memory), and an overlay of the records created, changed or deleted
// through the API. Seeded record i (1..n) has a key that grows with i and,
// for sets with a change time, a change time that grows with i, so key and
// change-time bounds are found by binary search.
type table struct {
	set     *entitySet
	n       int
	key     func(i int) string
	seed    func(i int) rec
	changed func(i int) time.Time // nil for sets without a change time
	over    map[string]rec        // nil marks a deletion
	keys    []string              // the overlay's keys, sorted
}

func newTable(set *entitySet, n int, key func(int) string, seed func(int) rec, changed func(int) time.Time) *table {
	return &table{set: set, n: n, key: key, seed: seed, changed: changed, over: map[string]rec{}}
}

// materialized is a table of records held in a slice, sorted by key.
func materialized(set *entitySet, recs []rec) *table {
	sort.Slice(recs, func(i, j int) bool { return keyOf(set, recs[i]) < keyOf(set, recs[j]) })
	return newTable(set, len(recs), func(i int) string { return keyOf(set, recs[i-1]) }, func(i int) rec { return recs[i-1].clone() }, nil)
}

// keyOf is a record's key string: its key values joined by NUL, which
// sorts as the tuple of key values.
func keyOf(set *entitySet, r rec) string {
	parts := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		switch v := r[k].(type) {
		case string:
			parts[i] = v
		case time.Time:
			parts[i] = v.UTC().Format("20060102")
		}
	}
	return strings.Join(parts, "\x00")
}

// get returns the live record of a key.
func (t *table) get(key string) (rec, bool) {
	if r, ok := t.over[key]; ok {
		return r, r != nil
	}
	i := sort.Search(t.n, func(k int) bool { return t.key(k+1) >= key })
	if i < t.n && t.key(i+1) == key {
		return t.seed(i + 1), true
	}
	return nil, false
}

// put stores a created or changed record; nil deletes.
func (t *table) put(key string, r rec) {
	if _, ok := t.over[key]; !ok {
		i := sort.SearchStrings(t.keys, key)
		t.keys = slices.Insert(t.keys, i, key)
	}
	t.over[key] = r
}

// bounds narrow a scan: keys from low (inclusive) to high (inclusive, ""
// for none), changed at or after since.
type bounds struct {
	low, high string
	since     time.Time
}

// scan calls fn, in key order, for every live record within the bounds;
// it stops when fn returns false. Records outside the bounds may be passed
// (the caller filters); none inside is missed.
func (t *table) scan(b bounds, fn func(r rec) bool) {
	lo := sort.Search(t.n, func(k int) bool { return t.key(k+1) >= b.low }) + 1
	if t.changed != nil && !b.since.IsZero() {
		lo = max(lo, sort.Search(t.n, func(k int) bool { return !t.changed(k + 1).Before(b.since) })+1)
	}
	j := sort.SearchStrings(t.keys, b.low)
	i := lo
	for {
		for i <= t.n {
			if _, shadowed := t.over[t.key(i)]; !shadowed {
				break
			}
			i++
		}
		for j < len(t.keys) && t.over[t.keys[j]] == nil {
			j++
		}
		var seededKey string
		if i <= t.n {
			seededKey = t.key(i)
		}
		useOverlay := j < len(t.keys) && (i > t.n || t.keys[j] < seededKey)
		var k string
		switch {
		case useOverlay:
			k = t.keys[j]
		case i <= t.n:
			k = seededKey
		default:
			return
		}
		if b.high != "" && k > b.high {
			return
		}
		var r rec
		if useOverlay {
			r = t.over[k]
			j++
		} else {
			r = t.seed(i)
			i++
		}
		if !fn(r) {
			return
		}
	}
}
