package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/cputime"
)

var (
	window   = flag.Duration("loadtest.window", 5*time.Second, "how long each sub-benchmark measures, per b.N")
	warmup   = flag.Duration("loadtest.warmup", 2*time.Second, "how long each sub-benchmark sends load before it measures")
	binary   = flag.String("loadtest.binary", "", "a millwright binary to run instead of building one from this tree")
	devFlags = flag.String("loadtest.devflags", "", "extra flags for `millwright dev`, space-separated (for experiments, e.g. \"--log-level warn\")")
)

// rateLimit is the gateway's --rate-limit (requests per second per
// credential) in the benchmark: far above anything one machine can send, so
// the limiter runs on every REST request, as in production, but never
// refuses one.
const rateLimit = "1000000"

// BenchmarkGatewayOverhead measures what the REST gateway adds to a cheap
// authenticated read: GetAccount through the gateway (GET /v1/account) and
// directly over gRPC (ConnectionService/GetAccount on the connection
// service), at 1 and 32 requests in flight, against one real `millwright
// dev` process (built from this tree unless -loadtest.binary names one;
// fresh data directory, free loopback ports, --rate-limit 1000000).
//
// Each sub-benchmark warms up for -loadtest.warmup, then measures for b.N
// windows of -loadtest.window (5s by default; `-benchtime 1x` gives one
// window). It reports p50-ms, p99-ms and req/s, and overrides ns/op with the
// wall time per request (1/throughput), so ns/op stays comparable across
// runs of different lengths. On Linux it also reports the CPU time per
// request of the dev process (server-cpu-us/req) and of the load generator
// (client-cpu-us/req): at concurrency 32 they bound the throughput, and they
// move less than latencies when other work shares the machine (at
// concurrency 1 they also count the runtime's idle spinning). Any failed
// request fails the benchmark.
//
// Run it with scripts/bench, which prints the figures as a table.
func BenchmarkGatewayOverhead(b *testing.B) {
	dev := startDev(b, nil)

	httpClient := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     time.Minute,
	}}
	b.Cleanup(httpClient.CloseIdleConnections)
	accountURL := dev.gateway + "/v1/account"
	bearer := "Bearer " + dev.key
	rest := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, accountURL, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", bearer)
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /v1/account: %s: %s", resp.Status, body)
		}
		return nil
	}

	conn, err := grpc.NewClient(dev.connection, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	client := connectionv1.NewConnectionServiceClient(conn)
	md := metadata.Pairs("authorization", bearer)
	direct := func(ctx context.Context) error {
		_, err := client.GetAccount(metadata.NewOutgoingContext(ctx, md), &connectionv1.GetAccountRequest{})
		return err
	}

	checkSameAccount(b, dev, httpClient, client, md)

	for _, path := range []struct {
		name string
		req  Request
	}{{"REST", rest}, {"gRPC", direct}} {
		b.Run(path.name, func(b *testing.B) {
			for _, workers := range []int{1, 32} {
				b.Run(fmt.Sprintf("c%d", workers), func(b *testing.B) {
					measure(b, dev.pid, workers, path.req)
				})
			}
		})
	}
}

// measure warms up, then sends b.N windows of load with workers in flight
// and reports the figures; server is the dev process's pid.
func measure(b *testing.B, server, workers int, req Request) {
	ctx := b.Context()
	w, err := Run(ctx, Options{Workers: workers, Duration: *warmup}, req)
	if err != nil {
		b.Fatal(err)
	}
	if w.Errors > 0 {
		b.Fatalf("warm-up: %d of %d requests failed; first: %v", w.Errors, w.Errors+len(w.Latencies), w.Err)
	}
	serverCPU, serverOK := cputime.Process(server)
	clientCPU, clientOK := cputime.Process(os.Getpid())
	b.ResetTimer()
	r, err := Run(ctx, Options{Workers: workers, Duration: time.Duration(b.N) * *window}, req)
	b.StopTimer()
	serverAfter, serverOK2 := cputime.Process(server)
	clientAfter, clientOK2 := cputime.Process(os.Getpid())
	if err != nil {
		b.Fatal(err)
	}
	if r.Errors > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", r.Errors, r.Errors+len(r.Latencies), r.Err)
	}
	s := r.Summary()
	if s.Requests == 0 {
		b.Fatal("no request completed")
	}
	b.ReportMetric(float64(s.P50)/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(s.P99)/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(s.RPS, "req/s")
	b.ReportMetric(float64(r.Elapsed)/float64(s.Requests), "ns/op")
	perRequest := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(s.Requests) }
	if serverOK && serverOK2 {
		b.ReportMetric(perRequest(serverAfter-serverCPU), "server-cpu-us/req")
	}
	if clientOK && clientOK2 {
		b.ReportMetric(perRequest(clientAfter-clientCPU), "client-cpu-us/req")
	}
	b.Logf("%d workers, warm-up %v, measured %v: %d requests, mean %v, p50 %v, p99 %v, max %v, %.0f req/s",
		workers, *warmup, r.Elapsed.Round(time.Millisecond), s.Requests, s.Mean, s.P50, s.P99, s.Max, s.RPS)
}

// checkSameAccount makes sure both paths answer, and with the same account,
// before anything is measured.
func checkSameAccount(b *testing.B, dev *devProcess, hc *http.Client, client connectionv1.ConnectionServiceClient, md metadata.MD) {
	b.Helper()
	ctx := b.Context()
	g, err := client.GetAccount(metadata.NewOutgoingContext(ctx, md), &connectionv1.GetAccountRequest{})
	if err != nil {
		b.Fatalf("gRPC GetAccount: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, dev.gateway+"/v1/account", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+dev.key)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatalf("GET /v1/account: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"`+g.GetAccount().GetId()+`"`) {
		b.Fatalf("GET /v1/account = %s %s; want 200 with account %q", resp.Status, body, g.GetAccount().GetId())
	}
}

// devProcess is a running `millwright dev`.
type devProcess struct {
	pid        int
	gateway    string // http://127.0.0.1:port
	connection string // 127.0.0.1:port, the connection service's gRPC
	key        string // the demo account's API key
	bin        string // the binary it runs
	dataDir    string // its --data-dir: the SQLite files
}

// startDev builds the millwright binary (unless -loadtest.binary names one), starts `millwright dev` on free
// loopback ports with a fresh data directory and a known demo key, waits
// until /healthz answers 200, and stops the process when b is done.
func startDev(b *testing.B, env []string, extra ...string) *devProcess {
	b.Helper()
	dir := b.TempDir()
	bin := *binary
	if bin == "" {
		bin = filepath.Join(dir, "millwright")
		build := exec.Command("go", "build", "-o", bin, "github.com/millwright-dev/millwright/services/millwright/cmd/millwright")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}

	secret := make([]byte, 24)
	_, _ = rand.Read(secret)
	gw := freeAddr(b)
	d := &devProcess{gateway: "http://" + gw, connection: freeAddr(b), key: "mw_sk_" + hex.EncodeToString(secret), dataDir: filepath.Join(dir, "data")}
	args := []string{"dev",
		"--data-dir", d.dataDir,
		"--gateway-addr", gw,
		"--connection-addr", d.connection,
		"--entity-addr", freeAddr(b),
		"--sync-addr", freeAddr(b),
		"--dev-api-key", d.key,
		"--rate-limit", rateLimit,
		"--simulators", "none",
		"--public-addr", freeAddr(b),
	}
	args = append(append(args, extra...), strings.Fields(*devFlags)...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(withoutMillwrightEnv(os.Environ()), env...)
	d.bin = bin
	// One log line per call: to a file, so a slow reader never throttles the
	// process, and so it can be shown when something goes wrong.
	logPath := filepath.Join(dir, "millwright-dev.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	logFile.Close()
	d.pid = cmd.Process.Pid
	b.Logf("started %s (pid %d)", strings.Join(append([]string{"millwright"}, args...), " "), cmd.Process.Pid)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b.Cleanup(func() { stop(b, cmd, exited, logPath) })

	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(d.gateway + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
			err = errors.New(resp.Status)
		}
		select {
		case werr := <-exited:
			exited <- werr
			b.Fatalf("millwright dev exited before it was healthy: %v\n%s", werr, tail(logPath))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.Fatalf("millwright dev not healthy after 60s: %v\n%s", err, tail(logPath))
		}
	}
}

// stop interrupts the process, kills it if it has not exited 15s later, and
// waits for it.
func stop(b *testing.B, cmd *exec.Cmd, exited chan error, logPath string) {
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		if err != nil && !b.Failed() {
			b.Logf("millwright dev exited with %v\n%s", err, tail(logPath))
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		b.Errorf("millwright dev did not stop within 15s of SIGINT; killed")
	}
}

// withoutMillwrightEnv drops MILLWRIGHT_* variables, so the caller's
// environment (say, a PostgreSQL URL) cannot change what is measured.
func withoutMillwrightEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MILLWRIGHT_") {
			out = append(out, kv)
		}
	}
	return out
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// tail returns the last lines of the process's log.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-40, 0):], "\n")
}
