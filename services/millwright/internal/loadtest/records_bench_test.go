package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/entity"
	"github.com/millwright-dev/millwright/services/platform/cputime"
	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

var (
	records  = flag.Int("loadtest.records", 100000, "work orders the Maximo simulator holds for BenchmarkSyncAndList")
	postgres = flag.Bool("loadtest.postgres", false, "run BenchmarkSyncAndList on PostgreSQL (TEST_DATABASE_URL) instead of SQLite")
)

// BenchmarkSyncAndList measures, against one `millwright dev` and a Maximo
// simulator holding -loadtest.records work orders: the first (full) sync of
// the work orders in records/s, per CPU-second of the dev process, and the
// process's peak memory; beside it, a plain bulk insert of the same rows
// into the same database through the store alone (BenchmarkBulkCopy of
// services/entity, run with `go test`), the store's own limit, and the
// ratio of the two rates (sync/bulk); then, once the machine is at rest
// (settle), List of 100 work orders through the gateway at 32 in flight
// after 2 s of warm-up, and the cost of a deep page against the first.
func BenchmarkSyncAndList(b *testing.B) {
	var env []string
	databaseURL := ""
	if *postgres {
		databaseURL = freshDatabase(b)
		env = append(env, "MILLWRIGHT_DATABASE_URL="+databaseURL)
	}
	dev := startDev(b, env)
	sim := startSimulator(b, dev.bin, *records)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	body := fmt.Sprintf(`{"system":"maximo","settings":%s,"credentials":%s}`, mustJSON(sim.Settings), mustJSON(sim.Credentials))
	var created struct{ Connection struct{ ID string } }
	cpu0, _ := cputime.Process(dev.pid)
	call(b, hc, dev, "POST", "/v1/connections", body, &created)
	conn := created.Connection.ID

	r := waitFirstSync(b, hc, dev, conn)
	cpu1, cpuOK := cputime.Process(dev.pid)
	seen := count(r.Counts.Seen)
	if seen < *records {
		b.Fatalf("the first sync run %s saw %d records; the simulator holds %d work orders", r.ID, seen, *records)
	}
	t0, _ := time.Parse(time.RFC3339Nano, r.Start)
	t1, _ := time.Parse(time.RFC3339Nano, r.End)
	syncRate := float64(seen) / t1.Sub(t0).Seconds()
	b.ReportMetric(syncRate, "sync-records/s")
	if cpuOK {
		b.ReportMetric(float64(seen)/(cpu1-cpu0).Seconds(), "sync-records/cpu-s")
	}
	b.ReportMetric(float64(peakRSS(dev.pid))/(1<<20), "peak-MiB")

	bulk := bulkCopy(b, dev, databaseURL, conn)
	if stored := count(r.Counts.Created); bulk.rows != stored {
		b.Fatalf("the bulk insert copied %d rows; the sync stored %d", bulk.rows, stored)
	}
	b.ReportMetric(bulk.rate, "bulk-records/s")
	b.ReportMetric(bulk.perCPU, "bulk-records/cpu-s")
	b.ReportMetric(syncRate/bulk.rate, "sync/bulk")

	b.ReportMetric(settle(b, dev.pid).Seconds(), "settle-s")

	list := func(token string) Request {
		return func(ctx context.Context) error {
			u := dev.gateway + "/v1/connections/" + conn + "/workOrders?page_size=100"
			if token != "" {
				u += "&page_token=" + url.QueryEscape(token)
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
			req.Header.Set("Authorization", "Bearer "+dev.key)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 {
				return fmt.Errorf("list: %s", resp.Status)
			}
			return nil
		}
	}
	ctx := context.Background()
	// A warm-up first, not counted: the pools' connections open (on
	// PostgreSQL, a server process each) and prepare their statements.
	if _, err := Run(ctx, Options{Workers: 32, Duration: 2 * time.Second}, list("")); err != nil {
		b.Fatal(err)
	}
	res, err := Run(ctx, Options{Workers: 32, Duration: *window}, list(""))
	if err != nil {
		b.Fatal(err)
	}
	sum := res.Summary()
	b.ReportMetric(sum.P50.Seconds()*1000, "list-p50-ms")
	b.ReportMetric(sum.P99.Seconds()*1000, "list-p99-ms")
	b.ReportMetric(sum.RPS, "list-req/s")

	// A deep page: walk the tokens to page min(10,000, records/100), then
	// time it against the first page, one request at a time.
	deep := min(10000, seen/100)
	token := ""
	for i := 1; i < deep; i++ {
		var page struct {
			Next string `json:"next_page_token"`
		}
		call(b, hc, dev, "GET", "/v1/connections/"+conn+"/workOrders?page_size=100&page_token="+url.QueryEscape(token), "", &page)
		token = page.Next
	}
	first, _ := Run(ctx, Options{Workers: 1, Requests: 300}, list(""))
	last, _ := Run(ctx, Options{Workers: 1, Requests: 300}, list(token))
	b.ReportMetric(float64(deep), "deep-page")
	b.ReportMetric(last.Summary().P50.Seconds()/first.Summary().P50.Seconds(), "deep/first-p50")
}

// waitFirstSync waits until the connection's first sync run has finished
// and returns it, failing unless it succeeded. Runs are listed newest first,
// and a scheduled run may follow the first at once (the connection's
// schedule slot, somewhere in the first interval, may fall while the first
// run is busy), so the first is the oldest listed.
func waitFirstSync(b *testing.B, hc *http.Client, dev *devProcess, conn string) syncRun {
	b.Helper()
	start := time.Now()
	for {
		var list struct {
			SyncRuns []syncRun `json:"sync_runs"`
			Next     string    `json:"next_page_token"`
		}
		call(b, hc, dev, "GET", "/v1/connections/"+conn+"/syncRuns?page_size=100", "", &list)
		if list.Next != "" {
			b.Fatalf("connection %s has more than 100 sync runs; the first cannot be told", conn)
		}
		if n := len(list.SyncRuns); n > 0 && finished(list.SyncRuns[n-1]) {
			r := list.SyncRuns[n-1]
			if r.State != "SUCCEEDED" {
				b.Fatalf("first sync run %s: %s: %s", r.ID, r.State, r.Error)
			}
			return r
		}
		if time.Since(start) > 2*time.Hour {
			b.Fatal("the first sync did not finish in two hours")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// settle waits, up to ten minutes, until the work the sync and the bulk
// insert leave behind is done: the relay shipping their events, the deletion
// of the bulk insert's copies, SQLite's checkpoints, PostgreSQL's autovacuum
// of a million fresh rows. Taken for done when, over three seconds in a
// row, the dev process used under 5% of a core and the machine as a whole
// under a fifth of its CPUs. It returns how long it waited, so that List is
// measured on a store at rest, as a user's reads mostly find it.
func settle(b *testing.B, pid int) time.Duration {
	b.Helper()
	start := time.Now()
	quiet := 0
	proc0, _ := cputime.Process(pid)
	busy0, total0, ok := cputime.Machine()
	for quiet < 3 {
		if time.Since(start) > 10*time.Minute {
			b.Logf("the machine did not come to rest in %v; measuring List anyway", time.Since(start).Round(time.Second))
			break
		}
		time.Sleep(time.Second)
		proc1, _ := cputime.Process(pid)
		busy1, total1, _ := cputime.Machine()
		if proc1-proc0 < 50*time.Millisecond && (!ok || busy1-busy0 < (total1-total0)/5) {
			quiet++
		} else {
			quiet = 0
		}
		proc0, busy0, total0 = proc1, busy1, total1
	}
	return time.Since(start)
}

// bulkResult is what BenchmarkBulkCopy measured.
type bulkResult struct {
	rows   int     // rows written
	rate   float64 // rows/s
	perCPU float64 // rows/cpu-s
}

// bulkCopy runs the record store's BenchmarkBulkCopy (services/entity) with
// `go test` against the dev process's entity database (databaseURL, or its
// SQLite data directory): copies of conn's records written through
// store.Upsert in batches of the sync's Maximo pages (2,000), timed.
func bulkCopy(b *testing.B, dev *devProcess, databaseURL, conn string) bulkResult {
	b.Helper()
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkBulkCopy$", "-benchtime", "1x", "-count", "1", "-timeout", "0",
		"github.com/millwright-dev/millwright/services/entity/internal/store", "-args",
		"-store.bulk.connection=" + conn, "-store.bulk.name=" + entity.Name, "-store.bulk.batch=2000"}
	if databaseURL != "" {
		args = append(args, "-store.bulk.database-url="+databaseURL)
	} else {
		args = append(args, "-store.bulk.data-dir="+dev.dataDir)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = withoutMillwrightEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	metrics, ok := benchMetrics(string(out), "BenchmarkBulkCopy")
	if !ok || metrics["rows/s"] == 0 {
		b.Fatalf("BenchmarkBulkCopy reported no rows/s:\n%s", out)
	}
	return bulkResult{rows: int(metrics["rows"]), rate: metrics["rows/s"], perCPU: metrics["rows/cpu-s"]}
}

// benchMetrics reads a benchmark's result line from `go test -bench`
// output: its metrics by unit ("ns/op", "rows/s", ...).
func benchMetrics(output, name string) (map[string]float64, bool) {
	for _, line := range strings.Split(output, "\n") {
		f := strings.Fields(line)
		// Name[-cpu] iterations value unit value unit ...
		if len(f) < 4 || len(f)%2 != 0 || (f[0] != name && !strings.HasPrefix(f[0], name+"-")) {
			continue
		}
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, false
			}
			m[f[i+1]] = v
		}
		return m, true
	}
	return nil, false
}

type simulatorLine struct {
	Settings    map[string]string
	Credentials map[string]string
}

// startSimulator runs `millwright simulate maximo` with n work orders.
func startSimulator(b *testing.B, bin string, n int) simulatorLine {
	b.Helper()
	cmd := exec.Command(bin, "simulate", "maximo", "--addr", freeAddr(b), "--work-orders", strconv.Itoa(n))
	cmd.Env = append(withoutMillwrightEnv(os.Environ()), "GOGC=400")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	var l simulatorLine
	if err := json.Unmarshal([]byte(line), &l); err != nil {
		b.Fatalf("simulate printed %q", line)
	}
	return l
}

func call(b *testing.B, hc *http.Client, dev *devProcess, method, path, body string, out any) {
	b.Helper()
	req, _ := http.NewRequest(method, dev.gateway+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+dev.key)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %s %s", method, path, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			b.Fatal(err)
		}
	}
}

func mustJSON(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// peakRSS is a process's peak resident memory in bytes (VmHWM).
func peakRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// freshDatabase creates a PostgreSQL database for the run, dropped after it.
func freshDatabase(b *testing.B) string {
	b.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		b.Skip("set TEST_DATABASE_URL for -loadtest.postgres")
	}
	name := dbtest.NewSchemaName()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}
