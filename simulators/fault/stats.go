package fault

import (
	"maps"
	"time"
)

// Stats counts the requests that reached the simulator (admin requests under
// /_sim/ excluded), as shown on /_sim/stats.
type Stats struct {
	Total   int64 `json:"total"`
	Faulted int64 `json:"faulted"`
	// BusyMicros is the time spent serving those requests, added latency
	// and faults included: what a benchmark subtracts from a call's time to
	// find its own.
	BusyMicros int64            `json:"busy_us"`
	ByRoute    map[string]int64 `json:"by_route"`
	ByMethod   map[string]int64 `json:"by_method"`
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

func (i *Injector) addBusy(d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats.BusyMicros += d.Microseconds()
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
