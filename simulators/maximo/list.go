package maximo

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// order is the order of a listing: by changedate then key (the default), or by key.
type order struct{ byKey, desc bool }

// position is where a record sits in an order.
type position struct {
	t int64 // changedate, Unix seconds
	k string
}

// before reports whether a comes before b in ascending order.
func (o order) before(a, b position) bool {
	if !o.byKey && a.t != b.t {
		return a.t < b.t
	}
	return a.k < b.k
}

// first reports whether a comes before b in the listing's direction.
func (o order) first(a, b position) bool {
	if o.desc {
		return o.before(b, a)
	}
	return o.before(a, b)
}

// Cursors carry the position of the last record of a page, so the next page
// starts by binary search whatever its depth, and records changed while a
// client pages move to the end instead of shifting pages.
func encodeCursor(o order, p position) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%t:%t:%d:%s", o.byKey, o.desc, p.t, p.k))
}

func decodeCursor(o order, s string) (position, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, false
	}
	parts := strings.SplitN(string(raw), ":", 4)
	if len(parts) != 4 || parts[0] != strconv.FormatBool(o.byKey) || parts[1] != strconv.FormatBool(o.desc) {
		return position{}, false
	}
	t, err := strconv.ParseInt(parts[2], 10, 64)
	return position{t: t, k: parts[3]}, err == nil
}

// plan is how a query walks a collection: a narrowed run of seeded records
// merged with the overlay, both in the query's order.
type plan struct {
	c     *collection
	order order
	conds []cond
	// seeded candidates: positions lo..hi-1, at maps a position to an index.
	lo, hi int
	at     func(p int) int
	cheap  []cond // conds a seeded record is tested on before it is generated
	full   []cond // conds that need the generated record
	exact  bool   // the seeded run alone satisfies every cond
}

func identity(p int) int { return p }

func (c *collection) plan(conds []cond, o order) *plan {
	pl := &plan{c: c, order: o, conds: conds, hi: c.seed.n, at: identity}
	narrowed := make([]bool, len(conds))
	keyEq := slices.IndexFunc(conds, func(cd cond) bool {
		return cd.attr.name == c.os.keys[0] && cd.op == opEq && !cd.like
	})
	if !o.byKey {
		for i, cd := range conds {
			if cd.attr.name == "changedate" && cd.op != opNe && cd.op != opIn {
				pl.narrowTime(cd)
				narrowed[i] = true
			}
		}
	}
	switch {
	case keyEq >= 0 && o.byKey:
		pl.lo, pl.hi = c.keyRange(conds[keyEq].strs[0])
		pl.at = c.keyAt
		narrowed[keyEq] = true
	case keyEq >= 0:
		klo, khi := c.keyRange(conds[keyEq].strs[0])
		var idx []int
		for p := klo; p < khi; p++ {
			if i := c.keyAt(p); i >= pl.lo && i < pl.hi {
				idx = append(idx, i)
			}
		}
		slices.Sort(idx)
		pl.lo, pl.hi, pl.at = 0, len(idx), func(p int) int { return idx[p] }
		narrowed[keyEq] = true
	case o.byKey:
		pl.at = c.keyAt
	}
	pl.exact = true
	for i, cd := range conds {
		switch {
		case narrowed[i]:
		case cd.attr.name == "changedate" || cd.attr.name == c.os.keys[0]:
			pl.cheap = append(pl.cheap, cd)
			pl.exact = false
		default:
			pl.full = append(pl.full, cd)
			pl.exact = false
		}
	}
	return pl
}

// narrowTime limits the seeded run to the records whose changedate
// satisfies cd, by binary search on the timeline.
func (pl *plan) narrowTime(cd cond) {
	match := func(i int) bool { return cd.matchTime(time.Unix(pl.c.tl.at(i), 0)) }
	switch cd.op {
	case opGt, opGe:
		pl.lo = max(pl.lo, sort.Search(pl.c.seed.n, match))
	case opLt, opLe:
		pl.hi = min(pl.hi, sort.Search(pl.c.seed.n, func(i int) bool { return !match(i) }))
	case opEq:
		t := cd.times[0]
		pl.lo = max(pl.lo, sort.Search(pl.c.seed.n, func(i int) bool { return !time.Unix(pl.c.tl.at(i), 0).Before(t) }))
		pl.hi = min(pl.hi, sort.Search(pl.c.seed.n, func(i int) bool { return time.Unix(pl.c.tl.at(i), 0).After(t) }))
	}
	pl.hi = max(pl.hi, pl.lo)
}

func (pl *plan) position(i int) position {
	return position{t: pl.c.tl.at(i), k: pl.c.seed.key(i)}
}

// cheapMatch tests seeded record i on the conds that need only its changedate and key.
func (pl *plan) cheapMatch(pos position, conds []cond) bool {
	for k := range conds {
		cd := &conds[k]
		if cd.attr.name == "changedate" {
			if !cd.matchTime(time.Unix(pos.t, 0)) {
				return false
			}
		} else if first, _, _ := strings.Cut(pos.k, "\x00"); !cd.matchText(first) {
			return false
		}
	}
	return true
}

func matchAll(conds []cond, rec record) bool {
	for i := range conds {
		if !conds[i].match(rec) {
			return false
		}
	}
	return true
}

// count returns the number of matching records.
func (pl *plan) count() int {
	if !pl.exact {
		n := 0
		for it := pl.iter(nil); it.skip(1) == 1; {
			n++
		}
		return n
	}
	n := pl.hi - pl.lo
	for i := range pl.c.masked {
		if pl.cheapMatch(pl.position(i), pl.conds) {
			n--
		}
	}
	for _, e := range pl.c.byTime {
		if matchAll(pl.conds, e.rec) {
			n++
		}
	}
	return n
}

// iter walks the records of a plan after a position, merging the seeded run
// and the overlay.
type iter struct {
	pl *plan
	// seeded run: positions p, p+step, ... up to end (excluded)
	p, end, step int
	head         position
	headIdx      int
	hasHead      bool
	// overlay
	ov          []*entry
	o, oend, os int
	ohead       *entry
}

func (pl *plan) iter(after *position) *iter {
	it := &iter{pl: pl, ov: pl.c.byTime}
	if pl.order.byKey {
		it.ov = pl.c.byKey
	}
	o := pl.order
	seeded := func(k int) position { return pl.position(pl.at(pl.lo + k)) }
	overlay := func(k int) position { return entryPosition(it.ov[k]) }
	n := pl.hi - pl.lo
	if !o.desc {
		start, ostart := 0, 0
		if after != nil {
			start = sort.Search(n, func(k int) bool { return o.before(*after, seeded(k)) })
			ostart = sort.Search(len(it.ov), func(k int) bool { return o.before(*after, overlay(k)) })
		}
		it.p, it.end, it.step = pl.lo+start, pl.hi, 1
		it.o, it.oend, it.os = ostart, len(it.ov), 1
	} else {
		start, ostart := n, len(it.ov)
		if after != nil {
			start = sort.Search(n, func(k int) bool { return !o.before(seeded(k), *after) })
			ostart = sort.Search(len(it.ov), func(k int) bool { return !o.before(overlay(k), *after) })
		}
		it.p, it.end, it.step = pl.lo+start-1, pl.lo-1, -1
		it.o, it.oend, it.os = ostart-1, -1, -1
	}
	return it
}

func entryPosition(e *entry) position { return position{t: e.changed, k: e.key} }

// next returns the next matching record and its position.
func (it *iter) next() (record, position, bool) {
	for {
		seeded, ok := it.advance()
		if !ok {
			return nil, position{}, false
		}
		if !seeded {
			e := it.ohead
			it.ohead, it.o = nil, it.o+it.os
			return e.rec, entryPosition(e), true
		}
		it.hasHead, it.p = false, it.p+it.step
		rec := it.pl.c.seeded(it.headIdx)
		if matchAll(it.pl.full, rec) {
			return rec, it.head, true
		}
	}
}

// skip passes over up to n matching records, generating seeded records only
// when a cond needs them, and returns how many it passed.
func (it *iter) skip(n int) int {
	done := 0
	for done < n {
		if len(it.pl.full) > 0 {
			if _, _, ok := it.next(); !ok {
				break
			}
			done++
			continue
		}
		seeded, ok := it.advance()
		if !ok {
			break
		}
		if seeded {
			it.hasHead, it.p = false, it.p+it.step
		} else {
			it.ohead, it.o = nil, it.o+it.os
		}
		done++
	}
	return done
}

// advance loads the next candidate of each side and reports which comes first.
func (it *iter) advance() (seeded, ok bool) {
	pl := it.pl
	for !it.hasHead && it.p != it.end {
		i := pl.at(it.p)
		if !pl.c.masked[i] {
			pos := pl.position(i)
			if pl.cheapMatch(pos, pl.cheap) {
				it.head, it.headIdx, it.hasHead = pos, i, true
				break
			}
		}
		it.p += it.step
	}
	for it.ohead == nil && it.o != it.oend {
		if e := it.ov[it.o]; matchAll(pl.conds, e.rec) {
			it.ohead = e
			break
		}
		it.o += it.os
	}
	switch {
	case it.hasHead && it.ohead != nil:
		return pl.order.first(it.head, entryPosition(it.ohead)), true
	case it.hasHead:
		return true, true
	default:
		return false, it.ohead != nil
	}
}
