package loadtest

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var incrementalRecords = flag.String("loadtest.incremental", "10000,100000",
	"work orders the Maximo simulator holds for BenchmarkIncrementalSync, a comma-separated list of sizes")

// changes is how many work orders each round of BenchmarkIncrementalSync
// changes.
const changes = 100

// BenchmarkIncrementalSync measures, for each size of -loadtest.incremental,
// against one `millwright dev` and a Maximo simulator holding that many
// work orders: after the first sync, each round changes 100 work orders
// through the simulator's own API, starts an incremental run
// (POST /v1/connections/{id}:sync) and waits until GET syncRuns/{run} says
// SUCCEEDED; the run must report 100 updated records. ns/op is that time
// from the client; run-s is the run's own start to end.
//
//	go test -run '^$' -bench BenchmarkIncrementalSync -benchtime 5x ./internal/loadtest/
//	go test -run '^$' -bench BenchmarkIncrementalSync -benchtime 5x -timeout 2h ./internal/loadtest/ -loadtest.incremental 1000000
func BenchmarkIncrementalSync(b *testing.B) {
	for _, field := range strings.Split(*incrementalRecords, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < changes {
			b.Fatalf("-loadtest.incremental: %q is not a count of at least %d", field, changes)
		}
		// The first sync is set up once, outside the sub-benchmark, which the
		// framework may call more than once.
		dev, sim, conn := firstSync(b, n)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) { incrementalRounds(b, dev, sim, conn) })
	}
}

type syncRun struct {
	ID     string
	State  string
	Error  string
	Counts struct{ Seen, Created, Updated string }
	Start  string `json:"start_time"`
	End    string `json:"end_time"`
}

// firstSync starts a dev process and a simulator with n work orders,
// connects them, and waits for the first sync.
func firstSync(b *testing.B, n int) (*devProcess, simulatorLine, string) {
	var env []string
	if *postgres {
		env = append(env, "MILLWRIGHT_DATABASE_URL="+freshDatabase(b))
	}
	dev := startDev(b, env)
	sim := startSimulator(b, dev.bin, n)
	hc := &http.Client{}

	body := fmt.Sprintf(`{"system":"maximo","settings":%s,"credentials":%s}`, mustJSON(sim.Settings), mustJSON(sim.Credentials))
	var created struct{ Connection struct{ ID string } }
	call(b, hc, dev, "POST", "/v1/connections", body, &created)
	conn := created.Connection.ID
	// Scheduled runs a day apart: after the one already due, none takes the
	// changes of a round.
	call(b, hc, dev, "PATCH", "/v1/connections/"+conn+"/syncSettings?update_mask=interval", `{"interval":"86400s"}`, nil)

	start := time.Now()
	waitFirstSync(b, hc, dev, conn)
	b.Logf("first sync of %d work orders: %v", n, time.Since(start).Round(time.Second))
	return dev, sim, conn
}

// incrementalRounds changes 100 work orders and syncs them, b.N times.
func incrementalRounds(b *testing.B, dev *devProcess, sim simulatorLine, conn string) {
	hc := &http.Client{}
	var runTimes []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		touchWorkOrders(b, sim)
		b.StartTimer()
		r := runIncremental(b, hc, dev, conn)
		b.StopTimer()
		if r.State != "SUCCEEDED" {
			b.Fatalf("incremental run %s: %s", r.State, r.Error)
		}
		if updated, created := count(r.Counts.Updated), count(r.Counts.Created); updated != changes || created != 0 {
			b.Fatalf("incremental run after changing %d work orders: %+v, want %d updated", changes, r.Counts, changes)
		}
		t0, _ := time.Parse(time.RFC3339Nano, r.Start)
		t1, _ := time.Parse(time.RFC3339Nano, r.End)
		runTimes = append(runTimes, t1.Sub(t0))
	}
	slices.Sort(runTimes)
	b.ReportMetric(Percentile(runTimes, 50).Seconds(), "run-s")
	b.ReportMetric(Percentile(runTimes, 100).Seconds(), "max-run-s")
}

// count reads a count of the REST encoding (an int64 is a string, 0 may
// be left out).
func count(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func finished(r syncRun) bool {
	return r.State == "SUCCEEDED" || r.State == "FAILED" || r.State == "CANCELLED"
}

// runIncremental starts an incremental run and waits for its end.
func runIncremental(b *testing.B, hc *http.Client, dev *devProcess, conn string) syncRun {
	b.Helper()
	var started struct {
		SyncRun syncRun `json:"sync_run"`
	}
	call(b, hc, dev, "POST", "/v1/connections/"+conn+":sync", `{"mode":"INCREMENTAL"}`, &started)
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var got struct {
			SyncRun syncRun `json:"sync_run"`
		}
		call(b, hc, dev, "GET", "/v1/connections/"+conn+"/syncRuns/"+started.SyncRun.ID, "", &got)
		if finished(got.SyncRun) {
			return got.SyncRun
		}
		if time.Now().After(deadline) {
			b.Fatalf("run %s still %s after 10 minutes", started.SyncRun.ID, got.SyncRun.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// touchWorkOrders changes the description of the 100 work orders changed
// longest ago, through the Maximo simulator's API.
func touchWorkOrders(b *testing.B, sim simulatorLine) {
	b.Helper()
	base := sim.Settings["base_url"] + "/maximo/api/os/mxapiwo"
	q := url.Values{"lean": {"1"}, "oslc.select": {"wonum"}, "oslc.pageSize": {strconv.Itoa(changes)}}
	var page struct {
		Member []struct{ Href string }
	}
	simCall(b, sim, "GET", base+"?"+q.Encode(), "", http.StatusOK, &page)
	if len(page.Member) != changes {
		b.Fatalf("the simulator listed %d work orders, want %d", len(page.Member), changes)
	}
	for i, m := range page.Member {
		simCall(b, sim, "POST", m.Href, fmt.Sprintf(`{"description":"Changed at %d (%d)"}`, time.Now().UnixNano(), i), http.StatusNoContent, nil)
	}
}

// simCall calls the Maximo simulator's API with its API key.
func simCall(b *testing.B, sim simulatorLine, method, target, body string, want int, out any) {
	b.Helper()
	req, _ := http.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("apikey", sim.Credentials["api_key"])
	if method == "POST" {
		req.Header.Set("x-method-override", "PATCH")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %s", method, target, resp.Status)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			b.Fatal(err)
		}
	}
}
