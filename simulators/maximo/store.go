package maximo

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// collection holds the records of one object structure. Seeded records are
// generated from their index and are never stored; writes go to a small
// overlay of entries, which mask the seeded records they replace. Seeded index
// order is changedate order; perm gives key order when it differs.
type collection struct {
	os      *objectStructure
	seed    seeding
	tl      timeline
	perm    []int32
	uidBase int64
	rsBase  int64

	entries map[string]*entry // every key written, deletions included
	masked  map[int]bool      // seeded indexes replaced by an entry
	byTime  []*entry          // live entries by changedate then key
	byKey   []*entry          // live entries by key
	byUID   map[int64]*entry  // live entries by unique id
	nextUID int64
	nextNum int // next number for autokey
}

// entry is a written record; rec is nil once deleted.
type entry struct {
	rec     record
	key     string
	changed int64
	uid     int64
}

func newCollection(os *objectStructure, seed seeding, tl timeline, uidBase, rsBase int64, numBase int) *collection {
	c := &collection{
		os: os, seed: seed, tl: tl, uidBase: uidBase, rsBase: rsBase,
		entries: map[string]*entry{}, masked: map[int]bool{}, byUID: map[int64]*entry{},
		nextUID: uidBase + int64(seed.n), nextNum: numBase + seed.n,
	}
	if !seed.keyOrdered {
		c.perm = make([]int32, seed.n)
		keys := make([]string, seed.n)
		for i := range seed.n {
			c.perm[i], keys[i] = int32(i), seed.key(i)
		}
		slices.SortFunc(c.perm, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	}
	return c
}

// seeded generates seeded record i.
func (c *collection) seeded(i int) record {
	changed := c.tl.at(i)
	rec := c.seed.gen(i, changed)
	rec[c.os.uid] = c.uidBase + int64(i)
	rec["changedate"] = date(changed)
	rec["_rowstamp"] = strconv.FormatInt(c.rsBase+int64(i), 10)
	return rec
}

// keyAt returns the seeded index at position p of key order.
func (c *collection) keyAt(p int) int {
	if c.perm == nil {
		return p
	}
	return int(c.perm[p])
}

func (c *collection) searchKey(pred func(k string) bool) int {
	return sort.Search(c.seed.n, func(p int) bool { return pred(c.seed.key(c.keyAt(p))) })
}

func (c *collection) findSeeded(key string) (int, bool) {
	p := c.searchKey(func(k string) bool { return k >= key })
	if p < c.seed.n && c.seed.key(c.keyAt(p)) == key {
		return c.keyAt(p), true
	}
	return 0, false
}

// keyRange returns the key-order positions of the seeded records whose first
// key attribute is v.
func (c *collection) keyRange(v string) (lo, hi int) {
	lo = c.searchKey(func(k string) bool { return k >= v })
	hi = c.searchKey(func(k string) bool { return k >= v+"\x01" })
	return lo, hi
}

// lookup returns the live record with the given sort key.
func (c *collection) lookup(key string) (record, bool) {
	if e, ok := c.entries[key]; ok {
		return e.rec, e.rec != nil
	}
	if i, ok := c.findSeeded(key); ok {
		return c.seeded(i), true
	}
	return nil, false
}

func (c *collection) lookupUID(uid int64) (record, bool) {
	if e, ok := c.byUID[uid]; ok {
		return e.rec, true
	}
	if i := uid - c.uidBase; i >= 0 && i < int64(c.seed.n) && !c.masked[int(i)] {
		return c.seeded(int(i)), true
	}
	return nil, false
}

// store makes rec the live record for its key, changed at the given time.
func (c *collection) store(rec record, changed int64) {
	e := c.entry(c.os.sortKey(rec))
	if e.rec != nil {
		c.unlink(e)
	}
	e.rec, e.changed = rec, changed
	e.uid, _ = rec[c.os.uid].(int64)
	c.byTime = insertSorted(c.byTime, e, timeLess)
	c.byKey = insertSorted(c.byKey, e, keyLess)
	c.byUID[e.uid] = e
}

// remove deletes the live record with the given key.
func (c *collection) remove(key string) {
	e := c.entry(key)
	if e.rec != nil {
		c.unlink(e)
	}
	e.rec = nil
}

func (c *collection) entry(key string) *entry {
	e, ok := c.entries[key]
	if !ok {
		e = &entry{key: key}
		c.entries[key] = e
		if i, ok := c.findSeeded(key); ok {
			c.masked[i] = true
		}
	}
	return e
}

func (c *collection) unlink(e *entry) {
	c.byTime = slices.DeleteFunc(c.byTime, func(x *entry) bool { return x == e })
	c.byKey = slices.DeleteFunc(c.byKey, func(x *entry) bool { return x == e })
	delete(c.byUID, e.uid)
}

func timeLess(a, b *entry) bool {
	if a.changed != b.changed {
		return a.changed < b.changed
	}
	return a.key < b.key
}

func keyLess(a, b *entry) bool { return a.key < b.key }

func insertSorted(s []*entry, e *entry, less func(a, b *entry) bool) []*entry {
	i := sort.Search(len(s), func(i int) bool { return less(e, s[i]) })
	return slices.Insert(s, i, e)
}
