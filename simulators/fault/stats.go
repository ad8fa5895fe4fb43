package fault

import "maps"

// Stats counts the requests that reached the simulator (admin requests under
// /_sim/ excluded), as shown on /_sim/stats.
type Stats struct {
	Total    int64            `json:"total"`
	Faulted  int64            `json:"faulted"`
	ByRoute  map[string]int64 `json:"by_route"`
	ByMethod map[string]int64 `json:"by_method"`
}

func newStats() Stats {
	return Stats{ByRoute: map[string]int64{}, ByMethod: map[string]int64{}}
}

func (s *Stats) add(route, method string, faulted bool) {
	s.Total++
	if faulted {
		s.Faulted++
	}
	s.ByRoute[route]++
	s.ByMethod[method]++
}

func (s Stats) clone() Stats {
	s.ByRoute = maps.Clone(s.ByRoute)
	s.ByMethod = maps.Clone(s.ByMethod)
	return s
}

// Stats returns a copy of the request counters.
func (i *Injector) Stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.stats.clone()
}

// ResetStats sets every counter back to zero.
func (i *Injector) ResetStats() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats = newStats()
}
