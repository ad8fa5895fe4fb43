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

	"github.com/millwright-dev/millwright/services/platform/db/dbtest"
)

var (
	records  = flag.Int("loadtest.records", 100000, "work orders the Maximo simulator holds for BenchmarkSyncAndList")
	postgres = flag.Bool("loadtest.postgres", false, "run BenchmarkSyncAndList on PostgreSQL (TEST_DATABASE_URL) instead of SQLite")
)

// BenchmarkSyncAndList measures, against one `millwright dev` and a Maximo
// simulator holding -loadtest.records work orders: the first (full) sync of
// the work orders in records/s and the process's peak memory, then List of
// 100 work orders through the gateway at 32 in flight, and the cost of a
// deep page against the first.
func BenchmarkSyncAndList(b *testing.B) {
	var env []string
	if *postgres {
		env = append(env, "MILLWRIGHT_DATABASE_URL="+freshDatabase(b))
	}
	dev := startDev(b, env)
	sim := startSimulator(b, dev.bin, *records)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	body := fmt.Sprintf(`{"system":"maximo","settings":%s,"credentials":%s}`, mustJSON(sim.Settings), mustJSON(sim.Credentials))
	var created struct{ Connection struct{ ID string } }
	call(b, hc, dev, "POST", "/v1/connections", body, &created)
	conn := created.Connection.ID

	r := waitFirstSync(b, hc, dev, conn)
	seen, _ := strconv.Atoi(r.Counts.Seen)
	t0, _ := time.Parse(time.RFC3339Nano, r.Start)
	t1, _ := time.Parse(time.RFC3339Nano, r.End)
	b.ReportMetric(float64(seen)/t1.Sub(t0).Seconds(), "sync-records/s")
	b.ReportMetric(float64(peakRSS(dev.pid))/(1<<20), "peak-MiB")

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

// firstRun is a connection's first sync run, as syncRuns shows it.
type firstRun struct {
	State  string
	Counts struct{ Seen string }
	Start  string `json:"start_time"`
	End    string `json:"end_time"`
}

// waitFirstSync waits until the connection's first sync run has succeeded
// and returns it.
func waitFirstSync(b *testing.B, hc *http.Client, dev *devProcess, conn string) firstRun {
	b.Helper()
	start := time.Now()
	var run struct {
		SyncRuns []firstRun `json:"sync_runs"`
	}
	for {
		call(b, hc, dev, "GET", "/v1/connections/"+conn+"/syncRuns?page_size=1", "", &run)
		if len(run.SyncRuns) > 0 && (run.SyncRuns[0].State == "SUCCEEDED" || run.SyncRuns[0].State == "FAILED") {
			break
		}
		if time.Since(start) > time.Hour {
			b.Fatal("the first sync did not finish in an hour")
		}
		time.Sleep(500 * time.Millisecond)
	}
	r := run.SyncRuns[0]
	if r.State != "SUCCEEDED" {
		b.Fatalf("first sync %s", r.State)
	}
	return r
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
