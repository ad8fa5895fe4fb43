package loadtest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// ms returns 1..n milliseconds, in order.
func ms(n int) []time.Duration {
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = time.Duration(i+1) * time.Millisecond
	}
	return d
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one value is every percentile", ms(1), 99, time.Millisecond},
		{"median of three", ms(3), 50, 2 * time.Millisecond},
		{"median of four is the lower middle", ms(4), 50, 2 * time.Millisecond},
		{"p50 of 100", ms(100), 50, 50 * time.Millisecond},
		{"p99 of 100", ms(100), 99, 99 * time.Millisecond},
		{"p99 of 1000", ms(1000), 99, 990 * time.Millisecond},
		{"p99 of 10 is the largest", ms(10), 99, 10 * time.Millisecond},
		{"p100 is the largest", ms(7), 100, 7 * time.Millisecond},
		{"p0 is the smallest", ms(7), 0, time.Millisecond},
		{"above 100 is the largest", ms(7), 150, 7 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		sorted  []time.Duration
		errors  int
		elapsed time.Duration
		want    Summary
	}{
		{
			name:    "100 requests in half a second",
			sorted:  ms(100),
			errors:  2,
			elapsed: 500 * time.Millisecond,
			want: Summary{
				Requests: 100, Errors: 2,
				P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond,
				Mean: 50500 * time.Microsecond, RPS: 200,
			},
		},
		{
			name:    "nothing succeeded",
			errors:  5,
			elapsed: time.Second,
			want:    Summary{Errors: 5},
		},
		{
			name:   "no elapsed time gives no rate",
			sorted: ms(2),
			want:   Summary{Requests: 2, P50: time.Millisecond, P99: 2 * time.Millisecond, Max: 2 * time.Millisecond, Mean: 1500 * time.Microsecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.sorted, tt.errors, tt.elapsed); got != tt.want {
				t.Errorf("Summarize() = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRunRequestCount(t *testing.T) {
	var calls, inFlight, peak atomic.Int64
	req := func(context.Context) error {
		calls.Add(1)
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		return nil
	}
	r, err := Run(context.Background(), Options{Workers: 8, Requests: 200}, req)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 200 || len(r.Latencies) != 200 {
		t.Errorf("made %d calls and recorded %d latencies, want 200 of each", calls.Load(), len(r.Latencies))
	}
	if peak.Load() > 8 {
		t.Errorf("%d requests were in flight at once, want at most 8", peak.Load())
	}
	if !slices.IsSorted(r.Latencies) {
		t.Error("latencies are not in ascending order")
	}
	if r.Latencies[0] < time.Millisecond {
		t.Errorf("shortest latency %v is shorter than the request's 1ms sleep", r.Latencies[0])
	}
	if s := r.Summary(); s.RPS <= 0 || s.Requests != 200 || s.Errors != 0 {
		t.Errorf("Summary() = %+v, want 200 requests, no errors and a rate", s)
	}
}

func TestRunDuration(t *testing.T) {
	req := func(context.Context) error { time.Sleep(2 * time.Millisecond); return nil }
	r, err := Run(context.Background(), Options{Workers: 4, Duration: 100 * time.Millisecond}, req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Elapsed < 100*time.Millisecond || r.Elapsed > time.Second {
		t.Errorf("a 100ms run took %v", r.Elapsed)
	}
	// 4 workers, 2ms each, 100ms: about 200 requests; allow for slow CI.
	if n := len(r.Latencies); n < 20 || n > 220 {
		t.Errorf("a 100ms run of 4 workers on 2ms requests made %d requests, want about 200", n)
	}
}

func TestRunCountsErrors(t *testing.T) {
	boom := errors.New("boom")
	var n atomic.Int64
	req := func(context.Context) error {
		if n.Add(1)%4 == 0 {
			return boom
		}
		return nil
	}
	r, err := Run(context.Background(), Options{Workers: 3, Requests: 100}, req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors != 25 || len(r.Latencies) != 75 {
		t.Errorf("got %d errors and %d successes, want 25 and 75", r.Errors, len(r.Latencies))
	}
	if !errors.Is(r.Err, boom) {
		t.Errorf("Err = %v, want the request's error", r.Err)
	}
}

func TestRunStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := func(context.Context) error { time.Sleep(time.Millisecond); return nil }
	start := time.Now()
	if _, err := Run(ctx, Options{Workers: 2, Duration: time.Hour}, req); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run went on for %v after its context was done", d)
	}
}

func TestRunNeedsALimit(t *testing.T) {
	if _, err := Run(context.Background(), Options{Workers: 1}, func(context.Context) error { return nil }); !errors.Is(err, ErrNoLimit) {
		t.Errorf("Run without duration or count: err = %v, want ErrNoLimit", err)
	}
}

// TestBenchMetrics reads BenchmarkBulkCopy's line out of `go test -bench`
// output, as BenchmarkSyncAndList does.
func TestBenchMetrics(t *testing.T) {
	out := `goos: linux
pkg: github.com/millwright-dev/millwright/services/entity/internal/store
BenchmarkBulkCopy-2   	       1	9123456789 ns/op	     12345 rows	     11000 rows/cpu-s	     13530 rows/s
PASS
`
	for _, tc := range []struct {
		name   string
		output string
		want   map[string]float64
	}{
		{"BenchmarkBulkCopy", out, map[string]float64{"ns/op": 9123456789, "rows": 12345, "rows/cpu-s": 11000, "rows/s": 13530}},
		{"BenchmarkBulk", out, nil}, // another benchmark's name is not a prefix match
		{"BenchmarkBulkCopy", "--- SKIP: BenchmarkBulkCopy\nPASS\n", nil},
		{"BenchmarkBulkCopy", "BenchmarkBulkCopy \t 1\t 12 ns/op\t bad rows/s\n", nil},
	} {
		got, ok := benchMetrics(tc.output, tc.name)
		if ok != (tc.want != nil) || len(got) != len(tc.want) {
			t.Errorf("benchMetrics(%s) = %v, %v; want %v", tc.name, got, ok, tc.want)
			continue
		}
		for unit, v := range tc.want {
			if got[unit] != v {
				t.Errorf("benchMetrics(%s)[%q] = %v, want %v", tc.name, unit, got[unit], v)
			}
		}
	}
}
