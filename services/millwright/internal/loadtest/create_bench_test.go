package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/millwright-dev/millwright/services/platform/cputime"
)

// BenchmarkCreateOverhead creates work orders through the gateway, one at a
// time, against a Maximo simulator with no added latency, and reports
// Millwright's own share of each create: its time at the client minus the
// time the simulator spent serving the create's calls (its busy_us on
// /_sim/stats, reset before each create). Creates are paced below the
// connector's own limit on calls to one Maximo (20 a second), which would
// otherwise be what the figure measures.
//
// It also reports the CPU the millwright process spent per create (user and
// system time from /proc/<pid>/stat), which the machine's other work
// disturbs less than the times: each create's window runs from just before
// it to half way through the pause after it (so that work it left to the
// background, like relaying its event, counts), less the process's idle
// CPU at the rate measured over the pauses' other halves.
//
//	go test -run '^$' -bench CreateOverhead -benchtime 300x ./internal/loadtest/
func BenchmarkCreateOverhead(b *testing.B) {
	dev := startDev(b, nil)
	sim := startSimulator(b, dev.bin, 1000)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	body := fmt.Sprintf(`{"system":"maximo","settings":%s,"credentials":%s}`, mustJSON(sim.Settings), mustJSON(sim.Credentials))
	var created struct{ Connection struct{ ID string } }
	call(b, hc, dev, "POST", "/v1/connections", body, &created)
	waitFirstSync(b, hc, dev, created.Connection.ID) // no sync competes for the store
	path := "/v1/connections/" + created.Connection.ID + "/workOrders"
	stats := strings.TrimSuffix(sim.Settings["base_url"], "/") + "/_sim/stats"

	simAdmin := func(method string, out any) {
		req, _ := http.NewRequest(method, stats, nil)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				b.Fatal(err)
			}
		}
	}
	var total, own, simulator []time.Duration
	var busy, idle cpuMeter
	i := 0
	for b.Loop() {
		b.StopTimer()
		// The pause keeps creates under 20 calls a second.
		time.Sleep(30 * time.Millisecond)
		if i > 0 {
			busy.stop(dev.pid)
		}
		idle.start(dev.pid)
		time.Sleep(30 * time.Millisecond)
		simAdmin("DELETE", nil)
		idle.stop(dev.pid)
		i++
		busy.start(dev.pid)
		b.StartTimer()
		start := time.Now()
		call(b, hc, dev, "POST", path, fmt.Sprintf(`{"title":"Benchmark work order %d"}`, i), nil)
		took := time.Since(start)
		b.StopTimer()
		var s struct {
			Total int64 `json:"total"`
			Busy  int64 `json:"busy_us"`
		}
		simAdmin("GET", &s)
		if s.Total == 0 {
			b.Fatal("the create reached no simulator")
		}
		busy := time.Duration(s.Busy) * time.Microsecond
		total, simulator, own = append(total, took), append(simulator, busy), append(own, took-busy)
		b.StartTimer()
	}
	b.StopTimer()
	time.Sleep(30 * time.Millisecond)
	busy.stop(dev.pid)
	p := func(d []time.Duration, q float64) float64 {
		d = slices.Clone(d)
		slices.Sort(d)
		return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(total, 0.5), "total-p50-ms")
	b.ReportMetric(p(simulator, 0.5), "simulator-p50-ms")
	b.ReportMetric(p(own, 0.5), "own-p50-ms")
	b.ReportMetric(p(own, 0.99), "own-p99-ms")
	if idle.wall > 0 {
		perCreate := busy.cpu - time.Duration(float64(idle.cpu)*float64(busy.wall)/float64(idle.wall))
		b.ReportMetric(float64(perCreate.Microseconds())/1000/float64(len(own)), "cpu-ms/create")
	}
}

// cpuMeter sums a process's CPU time, and the wall time, over windows.
type cpuMeter struct {
	cpu, wall time.Duration
	cpu0      time.Duration
	t0        time.Time
}

func (m *cpuMeter) start(pid int) {
	m.cpu0, _ = cputime.Process(pid)
	m.t0 = time.Now()
}

func (m *cpuMeter) stop(pid int) {
	c, _ := cputime.Process(pid)
	m.cpu += c - m.cpu0
	m.wall += time.Since(m.t0)
}
