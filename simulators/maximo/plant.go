package maximo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// plant is the seeded organisation: its sites, location hierarchy, people and
// companies (small, built once), and the sizes and numbering of the large
// collections, whose records are generated on demand.
type plant struct {
	seed  int64
	epoch time.Time

	sites      []site
	siteIndex  map[string]int
	locs       []location
	leaves     [][]int // per site, operating locations that hold assets
	siteStores [][]int // per site, storerooms
	stores     []int   // all storerooms, site by site
	persons    []person
	leads      []int // persons who lead work
	buyers     []int
	companies  []companyTemplate
	vendors    []int // distributors, the companies purchase orders go to
	oems       []int

	nAssets, nItems, nWorkOrders, nPOs  int
	assetBase, itemBase, woBase, poBase int
}

type site struct{ id, description string }

type location struct {
	site                           int
	name, description, typ, parent string
	area                           int // index into areaTemplates, -1 outside areas
}

type person struct {
	id, first, last, status, phone string
	title                          jobTitle
	site                           int
}

func newPlant(cfg Config) *plant {
	p := &plant{
		seed:        cfg.Seed,
		epoch:       cfg.Epoch,
		siteIndex:   map[string]int{},
		nAssets:     max(cfg.Assets, 0),
		nItems:      max(cfg.Items, 0),
		nWorkOrders: max(cfg.WorkOrders, 0),
		nPOs:        max(cfg.PurchaseOrders, 0),
	}
	p.assetBase = numbering(p.nAssets, 5)
	p.itemBase = numbering(p.nItems, 6)
	p.woBase = numbering(p.nWorkOrders, 4)
	p.poBase = numbering(p.nPOs, 4)
	p.buildSites(max(cfg.Sites, 1))
	p.buildLocations(max(cfg.Locations, 0))
	p.buildPersons(max(cfg.Persons, 0))
	p.buildCompanies(max(cfg.Vendors, 0))
	if len(p.vendors) == 0 {
		p.nPOs = 0
	}
	return p
}

func (p *plant) buildSites(n int) {
	for i := range n {
		s := site{fmt.Sprintf("SITE%02d", i+1), fmt.Sprintf("Plant %d", i+1)}
		if i < len(siteNames) {
			s = site{siteNames[i].id, siteNames[i].description}
		}
		p.siteIndex[s.id] = i
		p.sites = append(p.sites, s)
	}
}

// buildLocations lays out each site as a root location, areas below it,
// operating locations below the areas, and two storerooms; at least five
// locations per site.
func (p *plant) buildLocations(total int) {
	p.leaves = make([][]int, len(p.sites))
	p.siteStores = make([][]int, len(p.sites))
	for s, st := range p.sites {
		n := total / len(p.sites)
		if s < total%len(p.sites) {
			n++
		}
		n = max(n, 5)
		areas := min(max((n-3)/5, 1), len(areaTemplates))
		add := func(l location) int {
			l.site = s
			p.locs = append(p.locs, l)
			return len(p.locs) - 1
		}
		add(location{name: st.id, description: st.description, typ: "OPERATING", area: -1})
		for a := range areas {
			add(location{name: areaTemplates[a].code, description: st.description + " - " + areaTemplates[a].description,
				typ: "OPERATING", parent: st.id, area: -1})
		}
		for k := range n - 3 - areas {
			a, m := k%areas, k/areas
			t := areaTemplates[a]
			l := add(location{
				name:        t.code + "-" + strconv.Itoa((m+1)*100),
				description: fmt.Sprintf("%s %d", t.places[m%len(t.places)], m/len(t.places)+1),
				typ:         "OPERATING", parent: t.code, area: a,
			})
			p.leaves[s] = append(p.leaves[s], l)
		}
		for _, sr := range storerooms {
			l := add(location{name: sr.code, description: sr.description, typ: "STOREROOM", area: -1})
			p.siteStores[s] = append(p.siteStores[s], l)
			p.stores = append(p.stores, l)
		}
	}
}

func (p *plant) buildPersons(n int) {
	r := newRNG(p.seed, streamPlant, 1)
	taken := map[string]bool{}
	for i := range n {
		first, last := pick(&r, firstNames), pick(&r, lastNames)
		id := strings.ToUpper(last)
		for k := 0; taken[id]; k++ {
			id = strings.ToUpper(last + first[:1])
			if k > 0 {
				id += strconv.Itoa(k)
			}
		}
		taken[id] = true
		title := keyTitles[min(i, len(keyTitles)-1)]
		if i >= len(keyTitles) {
			title = tradeTitles[(i-len(keyTitles))%len(tradeTitles)]
		}
		status := "ACTIVE"
		if i >= len(keyTitles) && r.chance(0.1) {
			status = "INACTIVE"
		}
		p.persons = append(p.persons, person{
			id: id, first: first, last: last, status: status, title: title, site: i % len(p.sites),
			phone: fmt.Sprintf("555-%04d", r.intn(10000)),
		})
		if title.leads {
			p.leads = append(p.leads, i)
		}
		if title.buys {
			p.buyers = append(p.buyers, i)
		}
	}
}

func (p *plant) buildCompanies(n int) {
	for i := range n {
		c := companyTemplate{
			code: fmt.Sprintf("SUPPLIER%03d", i+1), name: fmt.Sprintf("Industrial Supplier %d", i+1),
			city: "Chicago", state: "IL", zip: "60601", phone: fmt.Sprintf("312-555-%04d", i), oem: i%2 == 1,
		}
		if i < len(companyTemplates) {
			c = companyTemplates[i]
		}
		p.companies = append(p.companies, c)
		if c.oem {
			p.oems = append(p.oems, i)
		} else {
			p.vendors = append(p.vendors, i)
		}
	}
}

// date returns a seeded date as Unix seconds, offset from the epoch.
func (p *plant) date(ago int64) int64 { return p.epoch.Unix() - ago }

// assetInfo is what other records need to know about seeded asset j.
// Assets come in groups of four: a machine and three of its components.
type assetInfo struct {
	j, group, role int
	site, loc      int
	kindIndex      int
	kind           *assetKind
}

func (p *plant) asset(j int) assetInfo {
	g := j / 4
	r := newRNG(p.seed, streamAsset, g)
	s := g % len(p.sites)
	loc := pick(&r, p.leaves[s])
	k := pick(&r, areaTemplates[p.locs[loc].area].kinds)
	return assetInfo{j: j, group: g, role: j % 4, site: s, loc: loc, kindIndex: k, kind: &assetKinds[k]}
}

func (p *plant) assetNum(j int) string { return strconv.Itoa(p.assetBase + j) }

func (a assetInfo) description() string {
	machine := a.kind.name + " " + a.kind.tag + "-" + strconv.Itoa(100+a.group)
	if a.role == 0 {
		return machine
	}
	return a.kind.components[a.role-1] + ", " + machine
}

func (p *plant) itemNum(i int) string { return strconv.Itoa(p.itemBase + i) }

// itemTemplate returns the template and variant of seeded item i.
func (p *plant) item(i int) (*itemTemplate, string) {
	t := &itemTemplates[i%len(itemTemplates)]
	k := i / len(itemTemplates)
	v := t.variants[k%len(t.variants)]
	if n := k / len(t.variants); n > 0 {
		v += fmt.Sprintf(" (alt %d)", n)
	}
	return t, v
}

func (p *plant) companyCode(i int) string { return p.companies[i].code }

func (p *plant) siteID(s int) string { return p.sites[s].id }
